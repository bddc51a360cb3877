"""Per-language phrasing of recognition facts (en, fr, es, de, it, nl), as compiled regular expressions.

Every pattern is matched case-insensitively against a course's title, description and descriptions in
other languages; the match itself is the fact's evidence. Patterns are deliberately narrow: a fact is
only extracted where the text says it of the course (e.g. "undergraduate degree" alone is an audience
or a goal, not a level, so only "undergraduate level/course" counts). See decision 0028.
"""

from __future__ import annotations

import re

_F = re.IGNORECASE | re.UNICODE


class Group(list):
    """Patterns of one fact kind, with the lower-case words one of which a text must contain for any of
    them to match (a cheap ``in`` test that spares the regular expressions most texts)."""

    def __init__(self, triggers: tuple[str, ...], *patterns: re.Pattern):
        super().__init__(patterns)
        self.triggers = triggers

    def may_match(self, lowered: str) -> bool:
        return any(t in lowered for t in self.triggers)


NUM = r"(\d{1,2}(?:[.,]\d{1,2})?)"

# --- credits --------------------------------------------------------------------------------------
# ECTS and systems equivalent to it (Italian CFU, Dutch EC / studiepunten, German Leistungspunkte /
# Credit Points are defined as ECTS credits by national law or the Bologna framework).
ECTS = Group(
    ("ects", "cfu", "crediti", "studiepunt", " ec ", " ec,", " ec.", " ec)", "leistungspunkte", "credit point"),
    re.compile(NUM + r"\s*(?:cr[ée]dits?|cr[ée]ditos?|crediti|credit\s*points?|punten)?\s*(?:ECTS|ECTS-Punkte)\b", _F),
    re.compile(
        r"\bECTS(?:[- ]?(?:credits?|cr[ée]dits?|cr[ée]ditos?|crediti|Punkte|points?|punten))?\s*[:=]?\s*"
        + NUM
        + r"(?![\d.,]*\s*%)",
        _F,
    ),
    re.compile(r"\b(?:crédits?|créditos?)\s+ECTS\s*[:=]?\s*" + NUM, _F),
    re.compile(NUM + r"\s*(?:CFU|crediti formativi(?: universitari)?)\b", _F),
    re.compile(r"\bCFU\s*[:=]?\s*" + NUM, _F),
    re.compile(NUM + r"\s*(?:studiepunten|EC)\b(?!\w)", re.UNICODE),  # "EC" case-sensitive: not "ec" in words
    re.compile(NUM + r"\s*(?:Leistungspunkte|Credit Points)\b", re.UNICODE),
)
# Credits without a stated system (e.g. NPTEL "4 credits", US semester credits): kept as "credits".
CREDITS = Group(
    ("credit", "crédit", "crédito", "crediti", "studiepunt"),
    re.compile(r"\bwith\s+" + NUM + r"\s+credits?\b", _F),
    re.compile(NUM + r"\s+(?:university\s+|academic\s+)?credits?\s+(?:course|points?)\b", _F),
    re.compile(r"\b(?:number of credits?|credits?)\s*[:\-]+\s*" + NUM + r"\b", _F),
    re.compile(r"\b(?:worth|earn|carries|awards?)\s+" + NUM + r"\s+(?:university\s+|academic\s+)?credits?\b", _F),
    re.compile(NUM + r"\s+(?:crédits?|créditos?|crediti|studiepunten)\b(?!\s*ECTS)", _F),
)

# --- level ----------------------------------------------------------------------------------------
# Explicit framework levels. National frameworks mapped 1:1 to the EQF by their referencing reports:
# DQR (de), NLQF (nl), QNQ (it), MECU / MECES-EQF table (es), RNCP "niveau" 2019 nomenclature (fr).
EQF_EXPLICIT = Group(
    (
        "eqf",
        "cec",
        "eqr",
        "mec",
        "qec",
        "qeq",
        "ekr",
        "eks",
        "dqr",
        "nlqf",
        "qnq",
        "rncp",
        "european qualification",
        "cadre européen",
        "marco europeo",
        "quadro europeo",
        "qualifikationsrahmen",
    ),
    re.compile(
        r"\b(?:EQF|CEC|EQR|MEC|QEC|QEQ|EKR|EKS)(?:[- ]?(?:level|niveau|Niveau|nivel|livello|Stufe))?\s*[:\-]?\s*([1-8])\b",
        _F,
    ),
    re.compile(
        r"\b(?:level|niveau|nivel|livello|Niveau|Stufe)\s+([1-8])\s+(?:of the |du |del |des |der |van het |dell[ae]? )?(?:EQF|CEC|EQR|MEC|QEC|EKR|European Qualifications? Framework|cadre européen des certifications|Marco Europeo de Cualificaciones|Quadro europeo delle qualifiche|Europäischen Qualifikationsrahmens)\b",
        _F,
    ),
    re.compile(
        r"\b(?:DQR|NLQF|QNQ|MECU)(?:[- ]?(?:level|niveau|Niveau|nivel|livello|Stufe))?\s*[:\-]?\s*([1-8])\b", _F
    ),
    re.compile(r"\bRNCP\s+(?:de\s+)?niveau\s+([1-8])\b", _F),
)
# French "Bac+n" years of higher education → EQF (Bac+2 = 5, Bac+3 = 6, Bac+5 = 7, Bac+8 = 8).
BAC_PLUS = Group(("bac",), re.compile(r"\bBac\s?\+\s?([2-8])\b", _F))
BAC_PLUS_EQF = {2: 5, 3: 6, 4: 6, 5: 7, 8: 8}
# Degree words that state the level of the course itself → EQF (QF-EHEA cycles: short 5, first 6,
# second 7, third 8).
LEVEL_TRIGGERS = (
    "master",
    "máster",
    "magistrale",
    "dottorato",
    "niveau m",
    "graduate",
    "grado",
    "laurea",
    "bachelor",
    "licence",
    "niveau l",
    "doctor",
    "phd",
    "promotion",
    "hbo",
)
LEVEL_WORDS: list[tuple[int, re.Pattern]] = [
    (7, re.compile(r"\b(?:master(?:'s)?[- ]level|graduate[- ]level|postgraduate|post-graduate)\b", _F)),
    (7, re.compile(r"\bMicroMasters\b", _F)),
    (7, re.compile(r"\bniveau\s+(?:master|M[12])\b", _F)),
    (7, re.compile(r"\bnivel\s+(?:de\s+)?m[áa]ster\b|\bm[áa]ster\s+universitario\b", _F)),
    (7, re.compile(r"\blivello\s+(?:di\s+)?(?:laurea\s+)?magistrale\b|\blaurea\s+magistrale\b", _F)),
    (7, re.compile(r"\b(?:Master-?Niveau|Masterniveau|auf Masterebene|Masterstudiengang)\b", _F)),
    (7, re.compile(r"\b(?:masterniveau|op masterniveau)\b", _F)),
    (6, re.compile(r"\b(?:bachelor(?:'s)?[- ]level|undergraduate[- ](?:level|course|credit))\b", _F)),
    (6, re.compile(r"\bniveau\s+(?:licence|L[123])\b", _F)),
    (
        6,
        re.compile(
            r"\b(?:nivel\s+de\s+grado|estudiantes\s+(?:de|del)\s+grado|asignatura\s+de\s+grado)\b",
            _F,
        ),
    ),
    (6, re.compile(r"\b(?:livello\s+(?:di\s+)?laurea\s+triennale|laurea\s+triennale)\b", _F)),
    (6, re.compile(r"\b(?:Bachelor-?Niveau|Bachelorniveau|Bachelorstudiengang)\b", _F)),
    (6, re.compile(r"\b(?:bachelorniveau|op bachelorniveau|hbo-bachelor)\b", _F)),
    (
        8,
        re.compile(
            r"\b(?:doctoral[- ]level|PhD[- ]level|niveau doctorat|nivel de doctorado|livello di dottorato|Promotionsniveau)\b",
            _F,
        ),
    ),
]

# --- assessment -----------------------------------------------------------------------------------
ASSESSMENT: dict[str, list[re.Pattern]] = {
    "proctored_exam": Group(
        (
            "proctor",
            "surveill",
            "sur table",
            "presencial",
            "supervisado",
            "vigilado",
            "in presenza",
            "sorvegliato",
            "prüfung",
            "examen",
            "tentamen",
            "exam cent",
            "in-person",
            "in person",
        ),
        re.compile(r"\b(?:(?:virtually|online)[- ])?proctored\s+(?:exams?|test|examination)|\bproctor(?:ed|ing)\b", _F),
        re.compile(r"\bexamens?\s+(?:en ligne\s+)?surveillés?|\bexamen\s+sur\s+table\b|\btélésurveillance\b", _F),
        re.compile(r"\bexamen\s+(?:presencial|supervisado|vigilado)\b", _F),
        re.compile(r"\besame\s+(?:in presenza|finale in presenza|sorvegliato)\b", _F),
        re.compile(r"\b(?:beaufsichtigte[nr]?|überwachte[nr]?)\s+(?:Online-)?Prüfung|\bPräsenzprüfung\b", _F),
        re.compile(r"\b(?:gesurveilleerd|bewaakt)\s+(?:online\s+)?examen|\btentamen\s+op locatie\b", _F),
        re.compile(r"\bin[- ]person\s+exam|\bexam\s+(?:centres?|centers?)\b", _F),
    ),
    "peer": Group(
        ("peer", "pairs", "pares", "compañeros", "pari", "gegenseitig", "studenten"),
        re.compile(r"\bpeer[- ](?:review(?:ed|s)?|assess(?:ed|ment)s?|graded|grading|evaluat(?:ed|ion))\b", _F),
        re.compile(
            r"\b(?:évaluations?|corrections?)\s+(?:par|entre)\s+(?:les\s+)?pairs\b|\bévaluation\s+croisée\b", _F
        ),
        re.compile(
            r"\b(?:evaluaci[óo]n|evaluaciones|revisi[óo]n|correcci[óo]n)\s+(?:entre|por)\s+(?:pares|compañeros)\b", _F
        ),
        re.compile(r"\b(?:valutazione|revisione)\s+(?:tra|fra|dei|tra i)\s+pari\b|\bpeer\s+review\b", _F),
        re.compile(r"\b(?:Peer-Review|Peer-Assessment|gegenseitige\s+Bewertung)\b", _F),
        re.compile(r"\b(?:peer-?feedback|beoordeling\s+door\s+(?:mede)?studenten)\b", _F),
    ),
    "automated": Group(
        (
            "graded",
            "auto-grad",
            "autograd",
            "automat",
            "quiz",
            "choice",
            "qcm",
            "questionnaire",
            "cuestionario",
            "prueba",
            "test de",
            "test di",
            "tipo test",
            "selbsttest",
            "questionari",
            "meerkeuze",
        ),
        re.compile(
            r"\b(?:auto(?:matically)?[- ]graded|automatic(?:ally)?\s+(?:graded|assessed|marked)|automated\s+(?:assessment|grading|tests?))\b",
            _F,
        ),
        re.compile(r"\b(?:graded\s+)?quiz(?:zes)?\b|\bmultiple[- ]choice\b", _F),
        re.compile(r"\bQCM\b|\bquestionnaires?\s+(?:à choix multiples|d'évaluation|notés)\b", _F),
        re.compile(
            r"\bcuestionarios?\b|\bpruebas?\s+(?:de\s+)?(?:opción múltiple|autoevaluación|tipo test)\b|\btest\s+de\s+autoevaluación\b",
            _F,
        ),
        re.compile(r"\btest\s+(?:di\s+)?(?:autovalutazione|a risposta multipla|di verifica)\b|\bquestionari\b", _F),
        re.compile(r"\b(?:Multiple-Choice-(?:Test|Fragen)|Selbsttests?|automatisch\s+bewertet)\b", _F),
        re.compile(r"\b(?:meerkeuzevragen|meerkeuzetoets|automatisch\s+nagekeken)\b", _F),
    ),
    "project": Group(
        (
            "project",
            "projet",
            "proyecto",
            "trabajo final",
            "progetto",
            "elaborato",
            "projektarbeit",
            "abschluss",
            "eindopdracht",
            "eindproject",
            "eindproduct",
        ),
        re.compile(r"\b(?:final|capstone|course|graded)\s+project\b", _F),
        re.compile(r"\bprojet\s+(?:final|de fin de cours|tutoré)\b", _F),
        re.compile(r"\bproyecto\s+final\b|\btrabajo\s+final\b", _F),
        re.compile(r"\bprogetto\s+finale\b|\belaborato\s+finale\b|\bproject\s+work\b", _F),
        re.compile(r"\b(?:Abschlussprojekt|Projektarbeit|Abschlussarbeit)\b", _F),
        re.compile(r"\b(?:eindopdracht|eindproject|eindproduct)\b", _F),
    ),
    "none": Group(
        (
            "no assess",
            "no exam",
            "no graded",
            "not graded",
            "not assessed",
            "isn't graded",
            "isn't assessed",
            "sans é",
            "sans ex",
            "aucune é",
            "sin ev",
            "sin ex",
            "senza v",
            "senza e",
            "keine p",
            "keine b",
            "ohne p",
            "ohne b",
            "geen t",
            "geen e",
            "geen b",
            "zonder t",
            "zonder e",
            "zonder b",
        ),
        re.compile(
            r"\bno\s+(?:assessments?|exams?|graded\s+(?:work|assignments))\b|\b(?:not|isn't)\s+(?:graded|assessed)\b",
            _F,
        ),
        re.compile(r"\bsans\s+(?:évaluation|examen)\b|\baucune\s+évaluation\b", _F),
        re.compile(r"\bsin\s+(?:evaluaci[óo]n|examen)\b", _F),
        re.compile(r"\bsenza\s+(?:valutazione|esame)\b", _F),
        re.compile(r"\b(?:keine|ohne)\s+(?:Prüfung|Bewertung)\b", _F),
        re.compile(r"\b(?:geen|zonder)\s+(?:toets|examen|beoordeling)\b", _F),
    ),
}

# --- identity verification ------------------------------------------------------------------------
IDENTITY = Group(
    ("identi", "photo id", "id verif", "id-verif"),
    re.compile(
        r"\b(?:identity|ID)[- ]verif(?:ication|ied)|\bverif(?:y|ies|ied)\s+(?:your|their|the learner's|learners')\s+identity\b|\bphoto\s+ID\b",
        _F,
    ),
    re.compile(r"\bvérification\s+(?:d['’]|de\s+(?:l['’]|votre\s+)?)?identité\b|\bidentité\s+vérifiée\b", _F),
    re.compile(r"\bverificaci[óo]n\s+(?:de\s+(?:la\s+|tu\s+|su\s+)?)?identidad\b|\bidentidad\s+verificada\b", _F),
    re.compile(r"\bverifica\s+(?:dell'|della\s+)?identità\b|\bidentità\s+verificata\b", _F),
    re.compile(r"\b(?:Identitätsprüfung|Identitätsnachweis|Identitätsverifizierung|Ausweiskontrolle)\b", _F),
    re.compile(r"\b(?:identiteitscontrole|identiteitsverificatie|geverifieerde\s+identiteit)\b", _F),
)

# --- certificate ----------------------------------------------------------------------------------
CERTIFICATE_TRIGGERS = (
    "certific",
    "statement",
    "record of",
    "attestation",
    "leistungsnachweis",
    "attestato",
    "teilnahme",
    "bewijs",
    "zertifikat",
    "certificaat",
    "badge",
)
CERTIFICATE: list[tuple[str, re.Pattern]] = [
    (
        "verified",
        re.compile(
            r"\bverified\s+certificates?\b|\bcertificat\s+vérifié\b|\bcertificado\s+verificado\b|\bcertificato\s+verificato\b|\bverifiziertes\s+Zertifikat\b|\bgeverifieerd\s+certificaat\b",
            _F,
        ),
    ),
    (
        "professional",
        re.compile(r"\bprofessional\s+certificate\b|\bcertificat\s+professionnel\b|\bcertificado\s+profesional\b", _F),
    ),
    (
        "record_of_achievement",
        re.compile(
            r"\b(?:statement|record)\s+of\s+(?:accomplishment|achievement)\b|\battestation\s+de\s+réussite\b|\bLeistungsnachweis\b",
            _F,
        ),
    ),
    (
        "participation",
        re.compile(
            r"\b(?:certificate|statement)\s+of\s+(?:participation|attendance)\b|\battestation\s+de\s+suivi(?:\s+avec\s+succès)?\b|\battestation\s+de\s+participation\b|\bcertificado\s+de\s+participaci[óo]n\b|\battestato\s+di\s+partecipazione\b|\bTeilnahmebestätigung\b|\bbewijs\s+van\s+deelname\b",
            _F,
        ),
    ),
    (
        "free",
        re.compile(
            r"\bfree\s+certificates?\b|\bcertificat\s+gratuit\b|\bcertificado\s+gratuito\b|\bcertificato\s+gratuito\b|\bkostenloses\s+Zertifikat\b|\bgratis\s+certificaat\b",
            _F,
        ),
    ),
    (
        "certificate",
        re.compile(
            r"\bcertificates?\s+of\s+completion\b|\bcourse\s+certificate\b|\bcertificat\s+de\s+(?:réussite|fin)\b|\bcertificado\s+de\s+(?:aprovechamiento|superaci[óo]n|finalizaci[óo]n)\b|\battestato\s+di\s+(?:completamento|frequenza)\b|\bAbschlusszertifikat\b|\bcertificaat\s+van\s+deelname\b|\bopen\s+badges?\b",
            _F,
        ),
    ),
]
PRICE = re.compile(
    r"(?:(?P<c1>[$€£])\s?(?P<a1>\d{1,4}(?:[.,]\d{2})?)|(?P<a2>\d{1,4}(?:[.,]\d{2})?)\s?(?P<c2>[$€£]|EUR|USD|GBP|euros?)\b)",
    _F,
)
CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "eur": "EUR", "euro": "EUR", "euros": "EUR", "usd": "USD", "gbp": "GBP"}

# --- form of participation ------------------------------------------------------------------------
PARTICIPATION: dict[str, list[re.Pattern]] = {
    "self_paced": Group(
        (
            "paced",
            "own pace",
            "own time",
            "rythme",
            "autonomie",
            "ritmo",
            "autoguiado",
            "autorregulado",
            "autoapprendimento",
            "eigen tempo",
            "eigenen tempo",
            "selbstgesteuert",
        ),
        re.compile(r"\bself[- ]paced\b|\bat your own pace\b|\bin your own time\b", _F),
        re.compile(r"\bà (?:votre|son) (?:propre )?rythme\b|\ben autonomie\b", _F),
        re.compile(r"\ba (?:tu|su) (?:propio )?ritmo\b|\bautoguiado\b|\bautorregulado\b", _F),
        re.compile(r"\bal (?:tuo|proprio) ritmo\b|\bin autoapprendimento\b", _F),
        re.compile(r"\bim eigenen Tempo\b|\bselbstgesteuert\b", _F),
        re.compile(r"\bin (?:je|uw) eigen tempo\b", _F),
    ),
    "scheduled": Group(
        (
            "instructor-paced",
            "instructor paced",
            "live ",
            "live-",
            "weekly deadlines",
            "weekly live",
            "en direct",
            "virtuel",
            "en directo",
            "en vivo",
            "in diretta",
            "livesessie",
            "live college",
        ),
        re.compile(
            r"\binstructor[- ]paced\b|\blive\s+(?:sessions?|webinars?|classes)\b|\bweekly\s+(?:deadlines|live)\b", _F
        ),
        re.compile(r"\bsessions?\s+en\s+direct\b|\bclasses?\s+virtuelles?\b", _F),
        re.compile(r"\bsesiones\s+en\s+(?:directo|vivo)\b|\bclases\s+en\s+(?:directo|vivo)\b", _F),
        re.compile(r"\blezioni\s+in\s+diretta\b|\bwebinar\s+in\s+diretta\b", _F),
        re.compile(r"\bLive-(?:Sitzungen|Webinare?)\b", _F),
        re.compile(r"\blivesessies\b|\blive\s+colleges\b", _F),
    ),
    "blended": Group(
        (
            "blended",
            "hybride",
            "présentiel",
            "semipresencial",
            "mixta",
            "mista",
            "präsenz",
            "mixed learning",
            "gemengd",
        ),
        re.compile(
            r"\bblended(?:[- ]learning)?\s+(?:course|format|programme|program|mode|model)\b|\bblended\s+learning\b", _F
        ),
        re.compile(r"\b(?:formation|cours|format)\s+hybride\b|\ben\s+présentiel\b|\bmixte\s+\(?présentiel", _F),
        re.compile(r"\bsemipresencial\b|\bmodalidad\s+mixta\b", _F),
        re.compile(r"\bin\s+modalità\s+(?:blended|mista)\b|\bformazione\s+mista\b", _F),
        re.compile(r"\bBlended-Learning\b|\bPräsenzphasen?\b", _F),
        re.compile(r"\bmixed\s+learning\b|\bgemengd\s+leren\b", _F),
    ),
    "online": Group(
        ("online", "on-line", "mooc", "en ligne", "en línea", "en linea", "virtual", "in rete", "onlinecursus"),
        re.compile(
            r"\b(?:massive\s+open\s+)?online\s+(?:course|class|programme|program)\b|\bMOOCs?\b|\bfully\s+online\b", _F
        ),
        re.compile(r"\bcours\s+en\s+ligne\b|\bformation\s+en\s+ligne\b|\bentièrement\s+en\s+ligne\b", _F),
        re.compile(r"\bcurso\s+(?:en\s+l[íi]nea|online|virtual)\b", _F),
        re.compile(r"\bcorso\s+(?:online|on-line|in rete)\b", _F),
        re.compile(r"\bOnline-?Kurs\b|\bOnlinekurs\b", _F),
        re.compile(r"\bonline\s+cursus\b|\bonlinecursus\b", _F),
    ),
}

# --- quality assurance ----------------------------------------------------------------------------
ACCREDITED = Group(
    (
        "accredit",
        "certifiante",
        "reconnue",
        "accrédit",
        "rncp",
        "acredit",
        "reconocido",
        "riconosciuto",
        "akkredit",
        "geaccrediteerd",
        "nvao",
        "ects",
    ),
    re.compile(r"\baccredited\s+(?:by|course|programme|program|training|provider)\b|\b(?:is|are)\s+accredited\b", _F),
    re.compile(
        r"\b(?:formation|cours)\s+(?:accréditée?|certifiante|reconnue)\b|\baccrédité(?:e)?\s+par\b|\benregistrée?\s+au\s+RNCP\b",
        _F,
    ),
    re.compile(r"\b(?:curso|programa)\s+acreditado\b|\bacreditado\s+por\b|\breconocido\s+(?:por|con)\s+\d", _F),
    re.compile(
        r"\b(?:corso|percorso)\s+accreditato\b|\baccreditato\s+(?:da|dal|dalla|presso)\b|\briconosciuto\s+dal\s+MIUR\b",
        _F,
    ),
    re.compile(r"\b(?:akkreditiert(?:er|e|es)?)\b", _F),
    re.compile(r"\bgeaccrediteerd(?:e)?\b|\bNVAO\b", _F),
    re.compile(r"\bcr[ée]dito\s+ECTS\s+reconocido\b|\bECTS\s+reconocidos?\b", _F),
)
PLATFORM_LABEL = Group(
    ("quality", "openuped", "ecbcheck", "efquel", "unique", "e-xcellence", "label", "gütesiegel", "keurmerk"),
    re.compile(
        r"\b(?:Quality Matters|OpenupEd(?:\s+(?:quality\s+)?label)?|ECBCheck|EFQUEL|E-xcellence|label\s+(?:de\s+)?qualit[ée]|quality\s+label|Gütesiegel|keurmerk)\b",
        _F,
    ),
    re.compile(r"\bUNIQUe\b"),  # EFMD's label, case-sensitive: not the word "unique"
)
UNIVERSITY = re.compile(
    r"\b(?:universit(?:y|é|e|à|at|ät|eit|ad|y college)|universidad|università|universität|universiteit|hochschule|"
    r"hogeschool|polytechnique|politecnico|polytechnic|institute of technology|école normale|ETH|EPFL|college london|"
    r"MIT|Harvard|Sorbonne|Sapienza)\b",
    _F,
)

# --- prerequisites --------------------------------------------------------------------------------
PREREQ_NONE = Group(
    (
        "prior",
        "requis",
        "requisit",
        "conocimientos previos",
        "conoscenze",
        "vorkenntnis",
        "voraussetzung",
        "voorkennis",
        "vooropleiding",
    ),
    re.compile(
        r"\b(?:no|without)\s+(?:prior\s+(?:knowledge|experience)|prerequisites?|pre-requisites?)\b(?:\s+(?:is|are)\s+(?:required|needed|necessary))?",
        _F,
    ),
    re.compile(r"\baucun\s+prérequis\b|\bpas\s+de\s+prérequis\b|\bsans\s+prérequis\b", _F),
    re.compile(r"\b(?:no\s+(?:hay|se\s+requieren?)|sin)\s+(?:requisitos|prerrequisitos|conocimientos\s+previos)\b", _F),
    re.compile(
        r"\bnessun\s+prerequisito\b|\bnon\s+(?:sono\s+)?richiest[ie]\s+(?:prerequisiti|conoscenze\s+pregresse)\b", _F
    ),
    re.compile(r"\bkeine\s+(?:Vorkenntnisse|Voraussetzungen)\b", _F),
    re.compile(r"\bgeen\s+(?:voorkennis|vooropleiding)\s+(?:nodig|vereist)\b", _F),
)
PREREQ_NIL = re.compile(r"(?:nil|none|no|n/?a|aucun|ninguno|nessuno|keine|geen)\b\W*$", _F)
PREREQ_HEAD_TRIGGERS = ("requis", "requisit", "voraussetzung", "voorkennis", "required knowledge", "requirements")
PREREQ_HEAD = re.compile(
    r"(?:^|\n|\.\s)\s*(?:pre-?requisites?|pre-?requisitos|prerrequisitos|requisitos(?:\s+previos)?|prérequis|pré-requis|"
    r"prerequisiti|voraussetzungen|teilnahmevoraussetzungen|voorkennis|vereiste\s+voorkennis|required\s+knowledge|"
    r"requirements)\s*[:\-–]+\s*(?P<what>[^\n]{3,240})",
    _F,
)

# --- learning outcomes, stackability --------------------------------------------------------------
OUTCOMES = Group(
    (
        "outcome",
        "will learn",
        "ll learn",
        "able to",
        "end of the course",
        "end of this course",
        "objectif",
        "serez",
        "saurez",
        "apprendrez",
        "objetivo",
        "resultados",
        "aprender",
        "obiettivi",
        "risultati",
        "imparerai",
        "lernziel",
        "lernergebnis",
        "sie lernen",
        "leerdoel",
        "leeruitkomst",
        "je leert",
    ),
    re.compile(
        r"\b(?:learning\s+outcomes|what\s+you(?:'|’)ll\s+learn|you\s+will\s+(?:learn|be\s+able\s+to)|by\s+the\s+end\s+of\s+(?:the|this)\s+course)\b",
        _F,
    ),
    re.compile(
        r"\b(?:objectifs\s+(?:pédagogiques|d'apprentissage|du cours)|vous\s+(?:serez\s+capable|saurez|apprendrez))\b",
        _F,
    ),
    re.compile(r"\b(?:objetivos\s+(?:de\s+aprendizaje|del\s+curso)|resultados\s+de\s+aprendizaje|aprender[áa]s)\b", _F),
    re.compile(
        r"\b(?:obiettivi\s+(?:formativi|di\s+apprendimento|del\s+corso)|risultati\s+di\s+apprendimento|imparerai)\b", _F
    ),
    re.compile(r"\b(?:Lernziele|Lernergebnisse|Sie\s+lernen)\b", _F),
    re.compile(r"\b(?:leerdoelen|leeruitkomsten|je\s+leert)\b", _F),
)
STACKABLE = Group(
    ("part of", "toward", "stackable", "fait partie", "parcours", "forma parte", "fa parte", "teil des", "onderdeel"),
    re.compile(
        r"\b(?:part\s+of\s+(?:the\s+|a\s+)?(?:[\w-]+\s+){0,4}(?:MicroMasters|Specialization|XSeries|Professional Certificate|programme|program|series))\b",
        _F,
    ),
    re.compile(r"\b(?:counts?\s+towards|stackable|credit\s+towards)\b", _F),
    re.compile(
        r"\b(?:fait\s+partie\s+d[ue']|parcours\s+certifiant)\b|\bforma\s+parte\s+del\s+(?:programa|máster|itinerario)\b|\bfa\s+parte\s+del\s+(?:percorso|master|programma)\b|\bTeil\s+des\s+(?:Programms|Zertifikatsprogramms|Studiengangs)\b|\bonderdeel\s+van\s+(?:het|de)\s+(?:programma|opleiding|leerlijn)\b",
        _F,
    ),
)
