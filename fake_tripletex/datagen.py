"""Deterministic data: the "Demo AS" company and generated companies of any size.

Nothing here is random: names, numbers and dates are derived from indexes, so
every run (and every reset) gives the same data, and 10,000 employees are made
in well under a second.
"""
from __future__ import annotations

from .store import Company, Store

FIRST = ["Ola", "Kari", "Per", "Ingrid", "Lars", "Anne", "Nils", "Marit", "Knut", "Solveig", "Jon", "Berit",
         "Arne", "Liv", "Erik", "Hilde", "Bjørn", "Tone", "Hans", "Randi", "Ole", "Astrid", "Magnus", "Sigrid",
         "Håkon", "Åse", "Øystein", "Ragnhild", "Sindre", "Nora", "Eirik", "Thea", "Jørgen", "Ida", "Vegard",
         "Maja", "Torstein", "Emilie", "Geir", "Synnøve"]
# The demo company's first employees are the people of the GrønnJobb demo (`seed_demo`), so the
# wizard finds them by e-mail and their approved hours can go to Tripletex.
DEMO_PEOPLE = [
    ("Ingrid", "Solberg", "admin@demo.no"), ("Ola", "Nordmann", "leder@demo.no"), ("Kari", "Hansen", "kari@demo.no"),
    ("Per", "Johansen", "per@demo.no"), ("Nora", "Berg", "nora@demo.no"), ("Emil", "Larsen", "emil@demo.no"),
    ("Sara", "Eriksen", "sara@demo.no"),
]
# The demo company's first customer is the customer of the GrønnJobb demo's invoices and projects (`seed_demo`),
# with the same number and fields, so its invoices find it in Tripletex and an import leaves it as it is.
DEMO_CUSTOMER = {"name": "Fjordkaffe AS", "organizationNumber": "987654309", "email": "post@fjordkaffe.no",
                 "invoiceEmail": "post@fjordkaffe.no", "phoneNumber": "55301000", "website": "www.fjordkaffe.no",
                 "invoicesDueIn": 30, "displayName": "Fjordkaffe AS (10001)"}
DEMO_CUSTOMER_ADDRESS = {"addressLine1": "Bryggen 1", "postalCode": "5003", "city": "Bergen"}
LAST = ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
        "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen",
        "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Lund", "Sørensen", "Bakken", "Solberg", "Strand",
        "Moen", "Svendsen", "Kvamme", "Sæther", "Grønli", "Aasen", "Bråten", "Løvlie", "Ødegård"]
PLACES = [("0150", "Oslo"), ("5003", "Bergen"), ("7011", "Trondheim"), ("4006", "Stavanger"), ("9008", "Tromsø"),
          ("3015", "Drammen"), ("4610", "Kristiansand"), ("1706", "Sarpsborg"), ("2317", "Hamar"), ("6002", "Ålesund")]
FIRMS = ["Fjordbygg", "Nordlys Elektro", "Vestland Rør", "Trøndelag Tak", "Bergen Maling", "Solberg Snekkeri",
         "Oslo Ventilasjon", "Haugen Transport", "Lofoten Sjømat", "Hamar Entreprenør", "Fosen Anlegg",
         "Mjøsa Grøntanlegg", "Romsdal Stillas", "Agder Glass", "Sunnmøre Betong", "Telemark Tre",
         "Hardanger Frukt", "Valdres Hytteservice", "Nordkapp Logistikk", "Østfold Isolasjon"]
FORMS = ["AS", "AS", "ANS", "AS", "DA"]
PROJECT_WORDS = ["Rehabilitering", "Nybygg", "Tilbygg", "Vedlikehold", "Oppussing", "Service", "Montasje",
                 "Utskifting", "Prosjektering", "Befaring"]
SITES = ["Storgata 12", "Bryggen", "Solsiden", "Grünerløkka", "Lade", "Sandviken", "Tøyen", "Majorstuen",
         "Kvadraturen", "Nordnes"]

WAGE_TYPES = [  # (number, name, showInTimesheet, inactive)
    ("1000", "Fastlønn", False, False),
    ("1100", "Timelønn", True, False),
    ("1200", "Overtid 50 %", True, False),
    ("1210", "Overtid 100 %", True, False),
    ("1300", "Skifttillegg", True, False),
    ("2000", "Reisetillegg", True, True),
    ("2100", "Kilometergodtgjørelse", False, False),
    ("1500", "Feriepenger", False, True),
]
ACTIVITIES = [  # (name, type, rate, chargeable, inactive)
    ("Arbeid", "PROJECT_GENERAL_ACTIVITY", 950, True, False),
    ("Montering", "PROJECT_GENERAL_ACTIVITY", 1050, True, False),
    ("Prosjektledelse", "PROJECT_GENERAL_ACTIVITY", 1250, True, False),
    ("Reise", "PROJECT_GENERAL_ACTIVITY", 650, False, False),
    ("Administrasjon", "GENERAL_ACTIVITY", 0, False, False),
    ("Kurs og opplæring", "GENERAL_ACTIVITY", 0, False, False),
    ("Gammel aktivitet", "GENERAL_ACTIVITY", 500, False, True),
]
ACCOUNTS = [  # (number, name, type, bank, inactive)
    (1500, "Kundefordringer", "ASSETS", False, False),
    (1900, "Kontanter", "ASSETS", False, False),
    (1920, "Bankinnskudd", "ASSETS", True, False),
    (2400, "Leverandørgjeld", "LIABILITIES", False, False),
    (2700, "Utgående merverdiavgift, høy sats", "LIABILITIES", False, False),
    (2710, "Inngående merverdiavgift, høy sats", "LIABILITIES", False, False),
    (2701, "Utgående merverdiavgift, middels sats", "LIABILITIES", False, False),
    (2702, "Utgående merverdiavgift, lav sats", "LIABILITIES", False, False),
    (3000, "Salgsinntekt, avgiftspliktig", "OPERATING_REVENUES", False, False),
    (3100, "Salgsinntekt, avgiftsfri", "OPERATING_REVENUES", False, False),
    (4000, "Innkjøp råvarer og halvfabrikater", "OPERATING_EXPENSES", False, False),
    (5000, "Lønn til ansatte", "OPERATING_EXPENSES", False, False),
    (6300, "Leie lokale", "OPERATING_EXPENSES", False, False),
    (6540, "Inventar", "OPERATING_EXPENSES", False, True),
    (7140, "Reisekostnad, ikke oppgavepliktig", "OPERATING_EXPENSES", False, False),
]
VAT = [("3", "Utgående mva, høy sats", 25.0), ("31", "Utgående mva, middels sats", 15.0),
       ("33", "Utgående mva, lav sats", 12.0), ("5", "Ingen utgående avgift (innenfor mva-loven)", 0.0),
       ("1", "Fradrag inngående avgift, høy sats", 25.0), ("11", "Fradrag inngående avgift, middels sats", 15.0),
       ("13", "Fradrag inngående avgift, lav sats", 12.0)]
PRODUCTS = ["Takstein", "Gipsplate 12 mm", "Konstruksjonsvirke 48x198", "Maling 10 l", "Isolasjon 200 mm",
            "Rørkobling 22 mm", "Kabel 3x2,5", "Stikkontakt dobbel", "Skruer 5x50 (500 stk)", "Timeverk fagarbeider",
            "Timeverk lærling", "Leie av lift per dag"]

DEMO_SIZES = {"employees": 42, "projects": 15, "wage_types": 8, "customers": 20, "suppliers": 8, "products": 12,
              "activities": len(ACTIVITIES)}
DEFAULT_SIZES = {"employees": 5, "projects": 3, "wage_types": 4, "customers": 3, "suppliers": 2, "products": 3,
                 "activities": 4}


def _org_number(seed: int) -> str:
    # A valid-looking 9-digit organisation number with a MOD11 check digit.
    weights = [3, 2, 7, 6, 5, 4, 3, 2]
    for bump in range(20):
        base = f"{(810000000 + seed * 7919 + bump) // 10 % 100000000:08d}"
        base = "9" + base[1:]
        r = 11 - sum(int(d) * w for d, w in zip(base, weights)) % 11
        if r == 11:
            return base + "0"
        if r != 10:
            return base + str(r)
    return "999999999"


def create_company(store: Store, name: str, sizes: dict | None = None, *, demo: bool = False,
                   applications: list[str] | None = None) -> Company:
    sizes = {**(DEMO_SIZES if demo else DEFAULT_SIZES), **(sizes or {})}
    with store.lock:
        company = Company(id=store.new_id(), name=name)
        store.companies[company.id] = company
        ins = lambda kind, obj: store.insert(company, kind, obj, fire=False)  # noqa: E731
        ins_company = {"name": name, "displayName": name, "organizationNumber": _org_number(company.id),
                       "type": "AS", "startDate": "2015-01-01", "email": "post@" + _slug(name) + ".no",
                       "phoneNumber": "22 00 00 00"}
        ins_company["id"] = company.id
        ins_company["version"] = 0
        ins_company["_changed"] = store.clock.now()
        company.objects["company"][company.id] = ins_company
        currency = ins("currency", {"code": "NOK", "description": "Norske kroner", "factor": 1})
        ins_company["currency"] = {"id": currency["id"]}
        # Postal addresses refer to a country, as in Tripletex (161 is Norway's id there; ours is the store's).
        company.counters["country_no"] = ins("country", {"name": "Norge", "displayName": "Norge",
                                                         "isoAlpha2Code": "NO", "isoAlpha3Code": "NOR",
                                                         "isoNumericCode": "578"})["id"]
        vats = [ins("vat_type", {"number": n, "name": t, "percentage": p}) for n, t, p in VAT]
        company.counters["vat_high"] = vats[0]["id"]
        dept = ins("department", {"name": "Hovedavdeling", "departmentNumber": "1", "isInactive": False})
        company.default_department = dept["id"]
        depts = [dept] + [ins("department", {"name": n, "departmentNumber": str(i + 2), "isInactive": False})
                          for i, n in enumerate(["Montasje", "Service"])]
        accounts = {}
        for number, text, typ, bank, inactive in ACCOUNTS:
            acc = ins("ledger_account", {"number": number, "numberPretty": str(number), "name": text,
                                         "type": typ, "isInactive": inactive, "isBankAccount": bank,
                                         "isApplicableForSupplierInvoice": typ == "OPERATING_EXPENSES",
                                         "displayName": f"{number} {text}", "currency": {"id": currency["id"]},
                                         "ledgerType": "GENERAL", "isCloseable": False,
                                         "requireReconciliation": bank, "isInvoiceAccount": number == 1500,
                                         # A bank account in the ledger carries the company's account number;
                                         # without it Tripletex takes no postings on it (see post_voucher).
                                         **({"bankAccountNumber": "15038212343"} if bank else {})})
            accounts[number] = acc
        for i, (text, acc) in enumerate([("Betalt til bank", 1920), ("Kontant", 1900)]):
            ins("payment_type", {"description": text, "displayName": text, "sequence": i,
                                 "debitAccount": {"id": accounts[acc]["id"]}, "currencyCode": "NOK"})
        employees = _employees(store, company, sizes["employees"], depts, demo)
        company.admin_employee = employees[0]["id"] if employees else 0
        _wage_types(company, ins, sizes["wage_types"], accounts)
        _activities(ins, sizes["activities"])
        customers = _customers(ins, company, sizes["customers"], currency, demo)
        _suppliers(ins, company, sizes["suppliers"], currency)
        _products(ins, company, sizes["products"], vats, accounts)
        _projects(ins, company, sizes["projects"], employees, customers, depts, demo)
        for app in applications or ["GrønnJobb"]:
            store.consumer_token_for(app)
            store.make_employee_token(company, app)
        return company


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower().replace("ø", "o").replace("å", "a").replace("æ", "ae") if ch.isalnum())


def _employees(store: Store, company: Company, n: int, depts, demo: bool) -> list[dict]:
    out = []
    ins = lambda kind, obj: store.insert(company, kind, obj, fire=False)  # noqa: E731
    for i in range(n):
        first = FIRST[i % len(FIRST)]
        last = LAST[(i * 7 + i // len(FIRST)) % len(LAST)]
        if demo and i < len(DEMO_PEOPLE):
            first, last = DEMO_PEOPLE[i][:2]
        emp = {"firstName": first, "userType": "STANDARD" if i else "EXTENDED", "isContact": False,
               "department": {"id": depts[i % len(depts)]["id"]}, "companyId": company.id,
               "dateOfBirth": f"{1965 + i % 35}-{1 + i % 12:02d}-{1 + i % 28:02d}",
               "phoneNumberMobile": f"9{(4000000 + i * 7331) % 10000000:07d}"}
        # Demo rules: every 11th has no last name, every 7th no employee number, every 9th has left.
        if not (demo and i % 11 == 10):
            emp["lastName"] = last
        if not (demo and i % 7 == 6):
            emp["employeeNumber"] = str(1000 + i)
        emp["email"] = f"{_slug(first)}.{_slug(emp.get('lastName', 'ansatt'))}{i}@{_slug(company.name) or 'firma'}.no"
        if demo and i < len(DEMO_PEOPLE):
            emp["email"] = DEMO_PEOPLE[i][2]
        emp["displayName"] = " ".join(x for x in (first, emp.get("lastName")) if x)
        ins("employee", emp)
        employment = {"employee": {"id": emp["id"]}, "startDate": f"{2010 + i % 12}-{1 + i % 12:02d}-01",
                      "isMainEmployer": True, "employmentId": str(i + 1)}
        if demo and i % 9 == 8:
            employment["endDate"] = f"{2022 + i % 3}-06-30"
            employment["employmentEndReason"] = "EMPLOYMENT_END_EMPLOYEE"
        ins("employment", employment)
        emp["employments"] = [{"id": employment["id"]}]
        out.append(emp)
    return out


def _wage_types(company: Company, ins, n: int, accounts) -> None:
    for i in range(n):
        if i < len(WAGE_TYPES):
            number, name, show, inactive = WAGE_TYPES[i]
        else:
            number, name, show, inactive = str(3000 + i), f"Tillegg {i + 1}", i % 3 != 0, i % 10 == 9
        ins("salary_type", {"number": number, "name": name, "description": name, "showInTimesheet": show,
                            "isInactive": inactive, "isSickPayable": False, "isVacationPayable": True,
                            "isTaxable": True, "isPayrollTaxable": True,
                            "accountNumberDebit": {"id": accounts[5000]["id"]}})


def _activities(ins, n: int) -> None:
    for i in range(n):
        if i < len(ACTIVITIES):
            name, typ, rate, chargeable, inactive = ACTIVITIES[i]
        else:
            name, typ, rate, chargeable, inactive = (f"Aktivitet {i + 1}", "PROJECT_GENERAL_ACTIVITY",
                                                     800 + 10 * (i % 50), True, False)
        ins("activity", {"name": name, "number": str(i + 1), "description": name, "activityType": typ,
                         "isProjectActivity": typ != "GENERAL_ACTIVITY", "isGeneral": typ == "GENERAL_ACTIVITY",
                         "isTask": False, "isDisabled": inactive, "isInactive": inactive,
                         "isChargeable": chargeable, "rate": rate, "costPercentage": 0, "displayName": name,
                         "deletable": False})


def _address(i: int) -> dict:
    code, city = PLACES[i % len(PLACES)]
    return {"addressLine1": f"{SITES[i % len(SITES)]} {i + 1}", "postalCode": code, "city": city}


def _firm(i: int) -> str:
    base = FIRMS[i % len(FIRMS)]
    return f"{base} {FORMS[i % len(FORMS)]}" if i < len(FIRMS) else f"{base} {i // len(FIRMS) + 1} AS"


def _customers(ins, company: Company, n: int, currency, demo: bool) -> list[dict]:
    out = []
    for i in range(n):
        name = _firm(i)
        number = 10001 + i
        company.counters["customer"] = number
        cust = {"name": name, "customerNumber": number, "organizationNumber": _org_number(1000 + i),
                "isCustomer": True, "isSupplier": False, "isInactive": demo and i % 6 == 5,
                "isPrivateIndividual": False, "email": f"faktura@{_slug(name)}.no",
                "invoiceEmail": f"faktura@{_slug(name)}.no", "phoneNumber": f"{22000000 + i * 101}",
                "invoicesDueIn": 30 if i % 3 == 0 else 14, "invoicesDueInType": "DAYS",
                "currency": {"id": currency["id"]}, "postalAddress": {"id": ins_id(company), **_address(i),
                                                                      "country": {"id": company.counters["country_no"]},
                                                                      "version": 0},
                "website": f"www.{_slug(name)}.no", "displayName": f"{name} ({number})"}
        if demo and i == 0:
            cust.update(DEMO_CUSTOMER)
            cust["postalAddress"].update(DEMO_CUSTOMER_ADDRESS)
        out.append(ins("customer", cust))
    return out


def ins_id(company: Company) -> int:
    # Addresses live inside their owner but carry their own id, as in Tripletex.
    company.counters["address"] += 1
    return 900000000 + company.id * 100000 + company.counters["address"]


def _suppliers(ins, company: Company, n: int, currency) -> None:
    for i in range(n):
        name = _firm(len(FIRMS) - 1 - i % len(FIRMS)) if i < len(FIRMS) else f"Leverandør {i + 1} AS"
        company.counters["supplier"] = 20001 + i
        ins("supplier", {"name": name.replace(" AS", " Grossist AS") if i % 2 else name,
                         "supplierNumber": 20001 + i, "organizationNumber": _org_number(5000 + i),
                         "isSupplier": True, "isCustomer": False, "isInactive": False, "isPrivateIndividual": False,
                         "email": f"ordre@{_slug(name)}.no", "currency": {"id": currency["id"]},
                         "postalAddress": {"id": ins_id(company), "version": 0, **_address(i + 3)}})


def _products(ins, company: Company, n: int, vats, accounts) -> None:
    for i in range(n):
        name = PRODUCTS[i % len(PRODUCTS)] + ("" if i < len(PRODUCTS) else f" v{i // len(PRODUCTS) + 1}")
        price = float(50 + (i * 37) % 950)
        company.counters["product"] = i + 1
        ins("product", {"name": name, "number": str(i + 1), "displayNumber": str(i + 1),
                        "priceExcludingVatCurrency": price, "priceIncludingVatCurrency": round(price * 1.25, 2),
                        "costExcludingVatCurrency": round(price * 0.6, 2), "isInactive": False,
                        "isStockItem": i % 3 == 0, "vatType": {"id": vats[0]["id"]},
                        "account": {"id": accounts[3000]["id"]}, "displayName": f"{i + 1} {name}"})


def _projects(ins, company: Company, n: int, employees, customers, depts, demo: bool) -> None:
    made: list[dict] = []
    managers = employees[: max(1, min(len(employees), 6))]
    for i in range(n):
        number = str(1001 + i)
        company.counters["project"] = 1001 + i
        name = f"{PROJECT_WORDS[i % len(PROJECT_WORDS)]} {SITES[i % len(SITES)]}"
        p = {"name": name, "number": number, "displayName": f"{number} {name}", "description": name,
             "department": {"id": depts[i % len(depts)]["id"]}, "startDate": f"{2023 + i % 2}-{1 + i % 12:02d}-01",
             "isClosed": False, "isInternal": False, "isOffer": False, "isFixedPrice": i % 4 == 3,
             "isReadyForInvoicing": False, "displayNameFormat": "NAME_STANDARD"}
        if managers:
            p["projectManager"] = {"id": managers[i % len(managers)]["id"]}
        if customers and i % 5 != 4:
            # The demo's first two projects are the GrønnJobb demo's, both for its one customer.
            p["customer"] = {"id": customers[0 if demo and i < 2 else i % len(customers)]["id"]}
        if demo:
            # Demo rules: 12-14 are sub-projects of 1-3, 4 and 9 internal, 7 closed, 10 has no start date.
            if i >= 12 and made:
                p["mainProject"] = {"id": made[i - 12]["id"]}
                p["name"] = f"Delprosjekt {i - 11}: {made[i - 12]['name']}"
            if i in (4, 9):
                p["isInternal"] = True
                p["name"] = "Internt: " + ("Opplæring" if i == 4 else "Verktøy og utstyr")
                p.pop("customer", None)
            if i == 7:
                p["isClosed"] = True
                p["endDate"] = "2024-12-31"
            if i == 10:
                p.pop("startDate")
            p["displayName"] = f"{number} {p['name']}"
        made.append(ins("project", p))
