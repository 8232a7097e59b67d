"""The words the generator draws from: Brazilian names, cities of the south of Minas Gerais,
small businesses, contact labels, e-mail domains (typos included) and the placeholders
attendants type when a customer has no e-mail.

Weights sit next to the words they weigh; :func:`ascii_slug` gives the form a word takes in an
e-mail address.
"""

from __future__ import annotations

import unicodedata

from carteiro.demo.configuration import ISP_DOMAIN

CITIES: tuple[tuple[str, float], ...] = (
    ("Pouso Alegre", 14), ("Varginha", 10), ("Poços de Caldas", 9), ("Três Corações", 7),
    ("Lavras", 6), ("Itajubá", 7), ("Alfenas", 5), ("Passos", 4), ("São Lourenço", 4),
    ("Santa Rita do Sapucaí", 4), ("Extrema", 4), ("Cambuí", 3), ("Três Pontas", 3),
    ("Guaxupé", 3), ("Boa Esperança", 2), ("Ouro Fino", 2), ("Borda da Mata", 2),
    ("Machado", 2), ("Campanha", 1.5), ("Caxambu", 1.5), ("Elói Mendes", 1.5),
    ("Paraisópolis", 1.5), ("Congonhal", 1), ("Estiva", 1), ("Careaçu", 0.7),
    ("Silvianópolis", 0.7), ("São Sebastião da Bela Vista", 0.6), ("Senador José Bento", 0.4),
    ("Belo Horizonte", 1.2), ("São Paulo", 1.2), ("Campinas", 0.8), ("Juiz de Fora", 0.5),
)

FIRST_NAMES_F = (
    "Maria", "Ana", "Francisca", "Antônia", "Adriana", "Juliana", "Márcia", "Fernanda", "Patrícia",
    "Aline", "Sandra", "Camila", "Amanda", "Bruna", "Jéssica", "Letícia", "Júlia", "Luciana",
    "Vanessa", "Mariana", "Gabriela", "Vera", "Vitória", "Larissa", "Cláudia", "Beatriz", "Rita",
    "Luana", "Sônia", "Renata", "Eliane", "Josefa", "Simone", "Natália", "Cristiane", "Carla",
    "Débora", "Rosângela", "Jaqueline", "Rosa", "Daniela", "Aparecida", "Marlene", "Terezinha",
    "Raimunda", "Andreia", "Fabiana", "Lúcia", "Raquel", "Ângela", "Rafaela", "Joana", "Luzia",
    "Elaine", "Daniele", "Regina", "Sabrina", "Isabela", "Lorena", "Tatiane", "Helena", "Alice",
)
FIRST_NAMES_M = (
    "José", "João", "Antônio", "Francisco", "Carlos", "Paulo", "Pedro", "Lucas", "Luiz", "Marcos",
    "Luis", "Gabriel", "Rafael", "Daniel", "Marcelo", "Bruno", "Eduardo", "Felipe", "Raimundo",
    "Rodrigo", "Manoel", "Mateus", "André", "Fernando", "Fábio", "Leonardo", "Gustavo",
    "Guilherme", "Leandro", "Tiago", "Anderson", "Ricardo", "Márcio", "Jorge", "Sebastião",
    "Alexandre", "Roberto", "Edson", "Diego", "Vitor", "Sérgio", "Cláudio", "Matheus", "Thiago",
    "Geraldo", "Adriano", "Luciano", "Júlio", "Renato", "Alex", "Vinícius", "Rogério", "Samuel",
    "Ronaldo", "Mário", "Flávio", "Douglas", "Igor", "Davi", "Benedito", "Wellington", "Heitor",
)
MIDDLE_NAMES_F = (
    "Aparecida", "Cristina", "Eduarda", "Clara", "Luiza", "Fernanda", "de Fátima", "Helena",
    "Beatriz", "Vitória",
)
MIDDLE_NAMES_M = (
    "Carlos", "Eduardo", "Henrique", "Paulo", "Augusto", "Vitor", "Miguel", "Antônio", "Pedro",
    "Roberto",
)
SURNAMES = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes",
    "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques",
    "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves", "Santana", "Teixeira",
    "Araújo", "Pinto", "Correia", "Batista", "Moraes", "Reis", "Cavalcanti", "Rezende",
    "Junqueira", "Figueiredo", "Brandão", "Vilela", "Siqueira", "Prado", "Faria", "Tavares",
    "Pimenta", "Magalhães", "Pacheco", "Campos", "Morais", "Coelho", "Queiroz", "Toledo",
    "Azevedo", "Castro", "Miranda", "Borges", "Guimarães", "Pires", "Xavier", "Couto", "Leite",
    "Paula", "Jesus", "Assis", "Conceição", "D'Ávila",
)
# The particle some surnames take ("da Silva", "dos Santos", "de Oliveira").
SURNAME_LINKS = {
    "Silva": "da", "Costa": "da", "Rocha": "da", "Conceição": "da", "Santos": "dos",
    "Reis": "dos", "Oliveira": "de", "Souza": "de", "Almeida": "de", "Andrade": "de",
    "Moraes": "de", "Carvalho": "de", "Freitas": "de", "Lima": "de", "Castro": "de",
    "Azevedo": "de", "Paula": "de", "Jesus": "de", "Assis": "de", "Faria": "de",
}
BUSINESSES = (
    "Padaria", "Mercearia", "Auto Peças", "Farmácia", "Materiais de Construção", "Restaurante",
    "Oficina Mecânica", "Clínica Odontológica", "Escritório Contábil", "Pet Shop",
    "Supermercado", "Academia", "Distribuidora de Bebidas", "Laticínios", "Cafeteria",
    "Papelaria", "Ótica", "Salão de Beleza", "Imobiliária", "Agropecuária", "Torrefação de Café",
    "Transportadora", "Hotel", "Pousada", "Loja de Roupas", "Açougue", "Sorveteria",
)
BUSINESS_QUALIFIERS = (
    "São José", "Santa Rita", "Bom Jesus", "Central", "Nossa Senhora Aparecida", "do Vale",
    "Sul de Minas", "Primavera", "Progresso", "Estrela", "Mantiqueira", "Boa Vista", "Avenida",
    "Santo Antônio", "União", "Ideal", "Real", "Nova Era",
)
COMPANY_SUFFIXES = ("LTDA", "ME", "EIRELI", "LTDA ME", "S/A")
COMPANY_SUFFIX_P = [0.5, 0.3, 0.1, 0.08, 0.02]
CONTACT_LABELS = (
    "Financeiro", "Cobrança", "Esposa", "Marido", "Filho", "Filha", "Recado", "Escritório",
    "Contador", "Responsável",
)

# E-mail domains: (domain, weight). The last three are typos that still look valid.
FREE_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 50), ("hotmail.com", 15), ("outlook.com", 6), ("yahoo.com.br", 6),
    ("bol.com.br", 4), ("uol.com.br", 3), ("terra.com.br", 2), ("icloud.com", 2), ("live.com", 2),
    ("hotmail.com.br", 1), (ISP_DOMAIN, 7), ("gmial.com", 0.6), ("hotmail.con", 0.4),
    ("gmail.com.br", 0.5),
)
TYPO_DOMAINS = frozenset({"gmial.com", "hotmail.con", "gmail.com.br"})
ROLE_MAILBOXES = ("financeiro", "contato", "adm", "administrativo", "comercial", "nfe", "compras")
# Placeholders typed by attendants when the customer has no e-mail.
PLACEHOLDERS_VALID = (
    "naotem@naotem.com", "sememail@sememail.com.br", "naopossui@gmail.com", "nao@nao.com",
    "x@x.com", f"cliente@{ISP_DOMAIN}",
)
PLACEHOLDERS_INVALID = ("nao possui", "sem email", "NAO TEM", "-", "não informado", "0")


def ascii_slug(text: str, keep: str = "") -> str:
    """'São José' -> 'saojose' (lower case ASCII letters and digits, plus ``keep``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in plain if ch.isalnum() or ch in keep)
