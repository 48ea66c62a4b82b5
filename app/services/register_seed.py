"""The first version of the Art. 30 register, from the company's policy as corrected by legal.md §7.

The policy text (seed/) cites PUL, leaves the retention period as "[X] months", and omits
portability, the sources of lead data and transfer safeguards. What is seeded here replaces that
with GDPR and lag (2018:218), concrete periods per data category, named recipients with their
safeguards, and the request log as a processing activity of its own (legal.md §6). The privacy
officer edits everything afterwards; nothing here is read by templates directly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    ControllerInfo,
    LegalBasis,
    Purpose,
    Recipient,
    RecipientKind,
    RetentionRule,
    RetentionTrigger,
)

CONTROLLER: dict[str, Any] = {
    "name": "LHe Handelsbolag",
    # A handelsbolag's number starts with 9; the last digit is the Luhn check digit.
    "org_number": "969781-2346",
    "street": "Sveavägen 44",
    "postal_code": "111 34",
    "city": "Stockholm",
    "country": "Sverige",
    "email": "info@lhe-handelsbolag.se",
    "dpo_email": "dataskydd@lhe-handelsbolag.se",
    # 08-46 500 400–499 is the range PTS sets aside for fiction: no real subscriber answers.
    "phone": "+46 8 46 50 04 00",
    "website": "https://www.lhe-handelsbolag.se",
}

RETENTION_RULES: tuple[dict[str, Any], ...] = (
    {
        "category": "lead_contact",
        "name_sv": "Kontaktuppgifter om leads",
        "name_en": "Lead contact details",
        "months": 12,
        "trigger": RetentionTrigger.ASSIGNMENT_END,
        "description_sv": (
            "Namn, e-postadress, telefonnummer, företag, yrkesroll och varifrån vi fick "
            "uppgifterna. Vi sparar dem medan uppdraget som du kontaktades för pågår och raderar "
            "dem 12 månader efter att uppdraget avslutades. Om du invänder eller ber oss radera "
            "dem gör vi det tidigare; då sparar vi bara en spärrpost så att du inte kontaktas igen."
        ),
        "description_en": (
            "Name, e-mail address, phone number, company, job role and where we got the details. "
            "We keep them while the assignment you were contacted for is running and delete them "
            "12 months after it ended. If you object or ask us to erase them, we do so earlier "
            "and keep only a suppression entry so that you are not contacted again."
        ),
        "legal_reference": None,
    },
    {
        "category": "communication",
        "name_sv": "Kommunikationshistorik",
        "name_en": "Communication history",
        "months": 12,
        "trigger": RetentionTrigger.ASSIGNMENT_END,
        "description_sv": (
            "E-post, anteckningar från telefonsamtal och meddelanden på LinkedIn mellan dig och "
            "oss. De raderas 12 månader efter att uppdraget som de gällde avslutades."
        ),
        "description_en": (
            "E-mails, notes from phone calls and LinkedIn messages between you and us. They are "
            "deleted 12 months after the assignment they concerned ended."
        ),
        "legal_reference": None,
    },
    {
        "category": "meetings",
        "name_sv": "Mötesbokningar",
        "name_en": "Meeting bookings",
        "months": 12,
        "trigger": RetentionTrigger.ASSIGNMENT_END,
        "description_sv": (
            "Tid, plats, deltagare och utfall för möten som vi har bokat åt våra kunder. De "
            "raderas 12 månader efter att uppdraget som mötet gällde avslutades."
        ),
        "description_en": (
            "Time, place, participants and outcome of meetings we booked for our customers. They "
            "are deleted 12 months after the assignment the meeting belonged to ended."
        ),
        "legal_reference": None,
    },
    {
        "category": "customer",
        "name_sv": "Uppgifter om kontaktpersoner hos kunder",
        "name_en": "Details of contact persons at customers",
        "months": 36,
        "trigger": RetentionTrigger.CONTRACT_END,
        "description_sv": (
            "Namn, e-postadress, telefonnummer, roll och kontakterna med dig som kontaktperson "
            "hos en kund. Vi sparar dem under avtalstiden och i 36 månader efter att avtalet "
            "upphörde, så att vi kan besvara frågor, hantera reklamationer och bemöta rättsliga "
            "anspråk. Fakturor sparas längre, se Räkenskapsinformation."
        ),
        "description_en": (
            "Name, e-mail address, phone number, role and our dealings with you as a contact "
            "person at a customer. We keep them for the term of the contract and for 36 months "
            "after it ended, so that we can answer questions, handle complaints and respond to "
            "legal claims. Invoices are kept longer, see Accounting records."
        ),
        "legal_reference": None,
    },
    {
        "category": "consents",
        "name_sv": "Samtycken till direktmarknadsföring",
        "name_en": "Consents to direct marketing",
        "months": 24,
        "trigger": RetentionTrigger.WITHDRAWAL,
        "description_sv": (
            "När och hur du gav ditt samtycke, och den e-postadress som utskicken går till. När "
            "du återkallar samtycket slutar utskicken direkt. Uppgiften om att du gav och "
            "återkallade samtycket sparar vi i 24 månader efter återkallelsen, så att vi kan "
            "visa att vi hade ditt samtycke för de utskick vi gjorde (art. 7.1)."
        ),
        "description_en": (
            "When and how you gave your consent, and the e-mail address the mailings go to. When "
            "you withdraw your consent, the mailings stop at once. The record that you gave and "
            "withdrew consent is kept for 24 months after the withdrawal, so that we can show we "
            "had your consent for the mailings we sent (Art. 7(1))."
        ),
        "legal_reference": None,
    },
    {
        "category": "technical",
        "name_sv": "Tekniska uppgifter från webbplatsen",
        "name_en": "Technical data from our website",
        "months": 6,
        "trigger": RetentionTrigger.COLLECTED,
        "description_sv": (
            "IP-adress, typ av webbläsare, tidpunkt och vilken sida som besöktes. Loggarna "
            "raderas 6 månader efter att de skapades. Bara om de behövs för att utreda en viss "
            "säkerhetsincident sparar vi dem längre, och då dokumenterar vi varför."
        ),
        "description_en": (
            "IP address, browser type, time and the page visited. The logs are deleted 6 months "
            "after they were created. Only if they are needed to investigate a specific security "
            "incident do we keep them longer, and then we document why."
        ),
        "legal_reference": None,
    },
    {
        "category": "accounting",
        "name_sv": "Räkenskapsinformation",
        "name_en": "Accounting records",
        "months": 84,
        "trigger": RetentionTrigger.FISCAL_YEAR_END,
        "description_sv": (
            "Fakturor, verifikationer och avtal där ditt namn finns med, till exempel som "
            "fakturareferens. Bokföringslagen kräver att vi sparar dem till och med det sjunde "
            "året efter utgången av det kalenderår då räkenskapsåret avslutades. Vårt "
            "räkenskapsår är kalenderåret, så en faktura från 2025 sparas till och med den "
            "31 december 2032. Vi kan inte radera dem före dess, men vi använder dem inte till "
            "något annat än bokföringen."
        ),
        "description_en": (
            "Invoices, vouchers and agreements that include your name, for example as the "
            "invoice reference. The Swedish Accounting Act requires us to keep them until the end "
            "of the seventh year after the end of the calendar year in which the financial year "
            "ended. Our financial year is the calendar year, so an invoice from 2025 is kept "
            "until 31 December 2032. We cannot erase them before then, but we use them for "
            "nothing but the accounts."
        ),
        "legal_reference": "Bokföringslagen (1999:1078) 7 kap. 2 §",
    },
    {
        "category": "requests",
        "name_sv": "Dina ärenden om dataskydd",
        "name_en": "Your data-protection requests",
        "months": 60,
        "trigger": RetentionTrigger.CASE_CLOSED,
        "description_sv": (
            "Vad du begärde och när, hur vi kontrollerade att det var du (vi sparar aldrig "
            "kopior av id-handlingar), våra beslut med skäl, meddelanden till dig och vilka "
            "mottagare vi informerade. Uppgifter som har raderats på din begäran finns inte kvar "
            "i ärendet; där står bara att de raderades. Ingen lag anger hur länge sådana "
            "uppgifter ska sparas. Vi behöver kunna visa att vi har hanterat din begäran rätt "
            "och kunna försvara oss mot rättsliga anspråk, och vi har bedömt att 5 år efter att "
            "ärendet avslutades är en rimlig avvägning. Det är kortare än den allmänna "
            "preskriptionstiden på 10 år."
        ),
        "description_en": (
            "What you asked for and when, how we checked that it was you (we never keep copies "
            "of identity documents), our decisions with reasons, messages to you and which "
            "recipients we informed. Data erased at your request does not remain in the case; "
            "the case only records that it was erased. No law says how long such records must be "
            "kept. We need to be able to show that we handled your request correctly and to "
            "defend legal claims, and we have judged 5 years after the case was closed to be a "
            "reasonable balance. That is shorter than the general limitation period of 10 years."
        ),
        "legal_reference": None,
    },
    {
        "category": "suppression",
        "name_sv": "Spärrlista",
        "name_en": "Suppression list",
        "months": 120,
        "trigger": RetentionTrigger.COLLECTED,
        "description_sv": (
            "Om du har invänt mot att bli kontaktad eller fått dina uppgifter raderade sparar vi "
            "ett kodat kontrollvärde av din e-postadress, inte själva adressen. Med det kan vi "
            "se till att du inte läggs in igen från en ny lista och inte kontaktas igen. "
            "Kontrollvärdet sparas i 10 år från det att det skapades."
        ),
        "description_en": (
            "If you have objected to being contacted or had your data erased, we keep a coded "
            "check value of your e-mail address, not the address itself. It lets us make sure "
            "that you are not added again from a new list and not contacted again. The check "
            "value is kept for 10 years from when it was created."
        ),
        "legal_reference": None,
    },
)

PURPOSES: tuple[dict[str, Any], ...] = (
    {
        "code": "lead_generation",
        "name_sv": "Uppföljning av leads och bokning av möten åt våra kunder",
        "name_en": "Following up leads and booking meetings for our customers",
        "description_sv": (
            "Vi kontaktar personer i deras yrkesroll på företag som kan ha nytta av våra kunders "
            "erbjudanden, via e-post, telefon eller LinkedIn, och bokar affärsmöten mellan dem "
            "och kunden. Bokade möten och kontaktuppgifter lämnas till den kund som mötet "
            "gäller. Uppgifterna kommer från LinkedIn, företagens webbplatser, listor som vi "
            "köper (till exempel från Bisnode) eller listor som kunden ger oss. När vi bara "
            "arbetar med kundens egen lista enligt kundens instruktioner är kunden "
            "personuppgiftsansvarig och vi personuppgiftsbiträde; då skickar vi din begäran "
            "vidare till kunden."
        ),
        "description_en": (
            "We contact people in their professional role at companies that may benefit from our "
            "customers' offers, by e-mail, phone or LinkedIn, and book business meetings between "
            "them and the customer. Booked meetings and contact details are passed to the "
            "customer the meeting is for. The data come from LinkedIn, company websites, lists we "
            "buy (for example from Bisnode) or lists the customer gives us. Where we only work "
            "with the customer's own list on the customer's instructions, the customer is the "
            "controller and we are its processor; we then forward your request to the customer."
        ),
        "legal_basis": LegalBasis.LEGITIMATE_INTEREST,
        "interest_sv": (
            "Vårt och våra kunders berättigade intresse av att marknadsföra tjänster till företag "
            "genom att kontakta rätt person i rätt yrkesroll och boka affärsmöten. Vi använder "
            "bara uppgifter om dig i din yrkesroll, och du kan när som helst invända. Då slutar vi "
            "kontakta dig."
        ),
        "interest_en": (
            "Our and our customers' legitimate interest in marketing services to businesses by "
            "contacting the right person in the right role and booking business meetings. We "
            "only use data about you in your professional role, and you can object at any time. "
            "We then stop contacting you."
        ),
        "categories": ["lead_contact", "communication", "meetings"],
    },
    {
        "code": "scheduling",
        "name_sv": "Kommunikation om schemaläggning och uppföljning",
        "name_en": "Communication about scheduling and follow-up",
        "description_sv": (
            "Vi skickar kallelser, bekräftelser och påminnelser, flyttar eller avbokar möten och "
            "följer upp efteråt, till exempel med frågan om mötet blev av."
        ),
        "description_en": (
            "We send invitations, confirmations and reminders, move or cancel meetings and "
            "follow up afterwards, for example to ask whether the meeting took place."
        ),
        "legal_basis": LegalBasis.LEGITIMATE_INTEREST,
        "interest_sv": (
            "Att de möten som har bokats blir av, och att både du och kunden får den information "
            "ni behöver om mötet."
        ),
        "interest_en": (
            "That the meetings that have been booked take place, and that both you and the "
            "customer get the information you need about the meeting."
        ),
        "categories": ["lead_contact", "communication", "meetings"],
    },
    {
        "code": "customer_contract",
        "name_sv": "Fullgöra avtal med våra kunder",
        "name_en": "Performing our contracts with customers",
        "description_sv": (
            "Vi använder uppgifter om kontaktpersoner hos våra kunder för att leverera tjänsten "
            "enligt avtalet: planera uppdrag, rapportera bokade möten, svara på frågor, hantera "
            "reklamationer och skicka fakturor."
        ),
        "description_en": (
            "We use details of contact persons at our customers to deliver the service under "
            "the contract: planning assignments, reporting booked meetings, answering questions, "
            "handling complaints and sending invoices."
        ),
        "legal_basis": LegalBasis.CONTRACT,
        "interest_sv": None,
        "interest_en": None,
        "categories": ["customer"],
    },
    {
        "code": "service_improvement",
        "name_sv": "Förbättring av våra tjänster",
        "name_en": "Improving our services",
        "description_sv": (
            "Vi analyserar hur många som svarar, när och i vilka kanaler, för att bli bättre på "
            "att kontakta rätt personer vid rätt tidpunkt. Analysen görs på sammanställd nivå. "
            "Vi fattar inga automatiserade beslut om dig och gör ingen profilering som får "
            "rättsliga eller liknande betydande följder för dig."
        ),
        "description_en": (
            "We analyse how many people reply, when and through which channels, to get better at "
            "contacting the right people at the right time. The analysis is done on aggregated "
            "figures. We make no automated decisions about you and no profiling that has legal "
            "or similarly significant effects on you."
        ),
        "legal_basis": LegalBasis.LEGITIMATE_INTEREST,
        "interest_sv": (
            "Att utveckla vår tjänst så att vi kontaktar färre personer i onödan och levererar "
            "bättre möten till våra kunder."
        ),
        "interest_en": (
            "To develop our service so that we contact fewer people needlessly and deliver "
            "better meetings to our customers."
        ),
        "categories": ["communication", "meetings"],
    },
    {
        "code": "direct_marketing",
        "name_sv": "Direktmarknadsföring från oss",
        "name_en": "Direct marketing from us",
        "description_sv": (
            "Om du har samtyckt skickar vi nyhetsbrev och erbjudanden om våra egna tjänster. Du "
            "kan när som helst återkalla samtycket, lika enkelt som du gav det: via länken i "
            "varje utskick eller här i portalen. Därefter får du inga fler utskick."
        ),
        "description_en": (
            "If you have consented, we send newsletters and offers about our own services. You "
            "can withdraw your consent at any time, as easily as you gave it: through the link in "
            "every mailing or here in the portal. After that you get no more mailings."
        ),
        "legal_basis": LegalBasis.CONSENT,
        "interest_sv": None,
        "interest_en": None,
        "categories": ["consents"],
    },
    {
        "code": "accounting",
        "name_sv": "Bokföring",
        "name_en": "Bookkeeping",
        "description_sv": (
            "Vi måste bokföra våra affärshändelser och spara räkenskapsinformation, till exempel "
            "fakturor där du står som referens, enligt bokföringslagen (1999:1078)."
        ),
        "description_en": (
            "We must record our business transactions and keep accounting records, for example "
            "invoices naming you as the reference, under the Swedish Accounting Act (1999:1078)."
        ),
        "legal_basis": LegalBasis.LEGAL_OBLIGATION,
        "interest_sv": None,
        "interest_en": None,
        "categories": ["accounting"],
    },
    {
        "code": "it_security",
        "name_sv": "IT-säkerhet och loggar på webbplatsen",
        "name_en": "IT security and website logs",
        "description_sv": (
            "När du besöker vår webbplats eller använder den här portalen loggas tekniska "
            "uppgifter som IP-adress, webbläsare och tidpunkt. Vi använder dem för att hålla "
            "tjänsterna säkra och i drift, upptäcka intrångsförsök och missbruk och rätta fel."
        ),
        "description_en": (
            "When you visit our website or use this portal, technical data such as your IP "
            "address, browser and the time are logged. We use them to keep the services secure "
            "and running, to detect intrusion attempts and misuse, and to fix faults."
        ),
        "legal_basis": LegalBasis.LEGITIMATE_INTEREST,
        "interest_sv": (
            "Att skydda våra system och de uppgifter vi har om dig och andra mot intrång, "
            "missbruk och driftstörningar."
        ),
        "interest_en": (
            "To protect our systems, and the data we hold about you and others, against "
            "intrusion, misuse and outages."
        ),
        "categories": ["technical"],
    },
    {
        "code": "data_subject_requests",
        "name_sv": "Hantering av dina rättigheter enligt dataskyddsförordningen",
        "name_en": "Handling your rights under the GDPR",
        "description_sv": (
            "När du begär tillgång, rättelse, radering, begränsning eller dataportabilitet, "
            "invänder mot en behandling eller återkallar ett samtycke registrerar vi ärendet och "
            "vad vi gjorde. Det behövs för att vi ska kunna tillgodose dina rättigheter och visa "
            "att vi har gjort det (artiklarna 5.2, 12–22 och 30 i dataskyddsförordningen). Om "
            "du har invänt eller fått dina uppgifter raderade för vi in dig på vår spärrlista, "
            "så att du inte kontaktas igen."
        ),
        "description_en": (
            "When you ask for access, rectification, erasure, restriction or data portability, "
            "object to processing or withdraw a consent, we record the case and what we did. "
            "This is needed so that we can give effect to your rights and show that we did "
            "(Articles 5(2), 12–22 and 30 of the GDPR). If you have objected or had your data "
            "erased, we put you on our suppression list so that you are not contacted again."
        ),
        "legal_basis": LegalBasis.LEGAL_OBLIGATION,
        "interest_sv": None,
        "interest_en": None,
        "categories": ["requests", "suppression"],
    },
)

_DPF_SV = (
    "{name} är certifierat enligt EU–US Data Privacy Framework, som EU-kommissionen har "
    "bedömt ger en adekvat skyddsnivå (art. 45). Biträdesavtalet innehåller dessutom "
    "EU-kommissionens standardavtalsklausuler (art. 46.2 c), som gäller om ramverket upphör."
)
_DPF_EN = (
    "{name} is certified under the EU–US Data Privacy Framework, which the European Commission "
    "has found to provide an adequate level of protection (Art. 45). The processing agreement "
    "also contains the Commission's standard contractual clauses (Art. 46(2)(c)), which apply "
    "if the framework ceases to apply."
)

RECIPIENTS: tuple[dict[str, Any], ...] = (
    {
        "name": "HubSpot, Inc.",
        "kind": RecipientKind.PROCESSOR,
        "service_sv": "CRM-system där vi lagrar leads, kommunikationshistorik och mötesbokningar",
        "service_en": "CRM system where we keep leads, communication history and meeting bookings",
        "country": "US",
        "safeguard_sv": _DPF_SV.format(name="HubSpot, Inc."),
        "safeguard_en": _DPF_EN.format(name="HubSpot, Inc."),
        "contact_email": "privacy@hubspot.com",
    },
    {
        "name": "Microsoft Ireland Operations Ltd",
        "kind": RecipientKind.PROCESSOR,
        "service_sv": "E-post, kalender och Teams (Microsoft 365) för kommunikation och möten",
        "service_en": "E-mail, calendar and Teams (Microsoft 365) for communication and meetings",
        "country": "IE",
        "safeguard_sv": None,
        "safeguard_en": None,
        # Microsoft takes privacy questions through a web form, not a mailbox; erasure in our
        # Microsoft 365 tenant is done by our own administrator. The privacy officer fills this in.
        "contact_email": None,
    },
    {
        "name": "Myndigheter vid lagkrav",
        "kind": RecipientKind.AUTHORITY,
        "service_sv": (
            "Myndigheter, till exempel Skatteverket eller Polismyndigheten, när lag kräver att vi "
            "lämnar ut uppgifter"
        ),
        "service_en": (
            "Authorities when required by law, for example the Swedish Tax Agency or the Police"
        ),
        "country": "SE",
        "safeguard_sv": None,
        "safeguard_en": None,
        "contact_email": None,
    },
)


def is_register_seeded(session: Session) -> bool:
    """True once the controller's facts exist; the register is then the privacy officer's."""
    return session.scalar(select(ControllerInfo.id).limit(1)) is not None


def seed_register(session: Session) -> bool:
    """Insert the Art. 30 register when it is empty; return whether anything was inserted.

    A register that exists, even partly edited, is never touched: the privacy officer owns it.
    """
    if is_register_seeded(session):
        return False
    session.add(ControllerInfo(**CONTROLLER))
    session.add_all(RetentionRule(**rule) for rule in RETENTION_RULES)
    session.add_all(
        Purpose(**{**purpose, "categories": list(purpose["categories"])}, position=position)
        for position, purpose in enumerate(PURPOSES, 1)
    )
    session.add_all(Recipient(**recipient) for recipient in RECIPIENTS)
    session.flush()
    return True
