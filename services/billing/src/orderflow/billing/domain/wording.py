"""What the documents and their emails say, in each language billing speaks."""

from __future__ import annotations

from orderflow.billing.domain.tax import VatCategory

_EN = {
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "number": "Number",
    "issued_on": "Date of issue",
    "supplied_on": "Date of supply",
    "order": "Order",
    "seller": "Seller",
    "buyer": "Bill to",
    "vat_id": "VAT ID",
    "position": "#",
    "description": "Description",
    "quantity": "Qty",
    "unit_price": "Unit price (net)",
    "rate": "VAT rate",
    "net": "Net",
    "tax": "VAT",
    "gross": "Total",
    "vat_breakdown": "VAT breakdown",
    "total_net": "Total net",
    "total_tax": "Total VAT",
    "total_gross": "Total due",
    "paid": "Paid",
    "due": "Please pay by bank transfer by",
    "bank": "Bank",
    "reference": "Reference",
    "credits": "Credits invoice",
    "of": "of",
    "reason": "Reason",
    "note_AE": "Reverse charge: VAT is due by the recipient "
    "(art. 196 Directive 2006/112/EC).",
    "note_K": "Exempt intra-community supply (art. 138 Directive 2006/112/EC).",
    "note_G": "Export outside the EU, zero-rated (art. 146 Directive 2006/112/EC).",
    "mail_invoice_subject": "Your invoice {number}",
    "mail_invoice_body": "Thank you for your order {order}. "
    "Your invoice {number} is attached.",
    "mail_credit_note_subject": "Your credit note {number}",
    "mail_credit_note_body": "Your credit note {number} for order {order} is attached.",
    "mail_payment_subject": "Payment for your order {order}",
    "mail_payment_body": "Please pay {amount} {currency} for your order {order} "
    "here: {url}",
}

_DE = _EN | {
    "invoice": "Rechnung",
    "credit_note": "Gutschrift",
    "number": "Nummer",
    "issued_on": "Rechnungsdatum",
    "supplied_on": "Leistungsdatum",
    "order": "Bestellung",
    "seller": "Verkäufer",
    "buyer": "Rechnungsempfänger",
    "vat_id": "USt-IdNr.",
    "description": "Beschreibung",
    "quantity": "Menge",
    "unit_price": "Einzelpreis (netto)",
    "rate": "USt-Satz",
    "net": "Netto",
    "tax": "USt",
    "gross": "Brutto",
    "vat_breakdown": "Umsatzsteuer",
    "total_net": "Summe netto",
    "total_tax": "Summe USt",
    "total_gross": "Gesamtbetrag",
    "paid": "Bezahlt",
    "due": "Bitte überweisen Sie den Betrag bis zum",
    "bank": "Bank",
    "reference": "Verwendungszweck",
    "credits": "Gutschrift zur Rechnung",
    "of": "vom",
    "reason": "Grund",
    "note_AE": "Steuerschuldnerschaft des Leistungsempfängers (Art. 196 MwStSystRL).",
    "note_K": "Steuerfreie innergemeinschaftliche Lieferung (Art. 138 MwStSystRL).",
    "note_G": "Steuerfreie Ausfuhr (Art. 146 MwStSystRL).",
    "mail_invoice_subject": "Ihre Rechnung {number}",
    "mail_invoice_body": "Vielen Dank für Ihre Bestellung {order}. "
    "Ihre Rechnung {number} finden Sie im Anhang.",
    "mail_credit_note_subject": "Ihre Gutschrift {number}",
    "mail_credit_note_body": "Ihre Gutschrift {number} zur Bestellung {order} "
    "finden Sie im Anhang.",
    "mail_payment_subject": "Zahlung Ihrer Bestellung {order}",
    "mail_payment_body": "Bitte bezahlen Sie {amount} {currency} für Ihre "
    "Bestellung {order} hier: {url}",
}

_FR = _EN | {
    "invoice": "Facture",
    "credit_note": "Avoir",
    "number": "Numéro",
    "issued_on": "Date d'émission",
    "supplied_on": "Date de livraison",
    "order": "Commande",
    "seller": "Vendeur",
    "buyer": "Facturé à",
    "vat_id": "N° TVA",
    "description": "Désignation",
    "quantity": "Qté",
    "unit_price": "Prix unitaire HT",
    "rate": "Taux TVA",
    "net": "HT",
    "tax": "TVA",
    "gross": "TTC",
    "vat_breakdown": "Détail de la TVA",
    "total_net": "Total HT",
    "total_tax": "Total TVA",
    "total_gross": "Total TTC",
    "paid": "Payée",
    "due": "À régler par virement avant le",
    "bank": "Banque",
    "reference": "Référence",
    "credits": "Avoir sur la facture",
    "of": "du",
    "reason": "Motif",
    "note_AE": "Autoliquidation (art. 196 de la directive 2006/112/CE).",
    "note_K": "Livraison intracommunautaire exonérée "
    "(art. 138 de la directive 2006/112/CE).",
    "note_G": "Exportation hors UE exonérée (art. 146 de la directive 2006/112/CE).",
    "mail_invoice_subject": "Votre facture {number}",
    "mail_invoice_body": "Merci pour votre commande {order}. "
    "Votre facture {number} est jointe.",
    "mail_credit_note_subject": "Votre avoir {number}",
    "mail_credit_note_body": "Votre avoir {number} pour la commande {order} est joint.",
    "mail_payment_subject": "Paiement de votre commande {order}",
    "mail_payment_body": "Veuillez régler {amount} {currency} pour votre "
    "commande {order} ici : {url}",
}

_ES = _EN | {
    "invoice": "Factura",
    "credit_note": "Factura rectificativa",
    "number": "Número",
    "issued_on": "Fecha de expedición",
    "supplied_on": "Fecha de la operación",
    "order": "Pedido",
    "seller": "Vendedor",
    "buyer": "Facturar a",
    "vat_id": "NIF-IVA",
    "description": "Descripción",
    "quantity": "Cant.",
    "unit_price": "Precio unitario (neto)",
    "rate": "Tipo de IVA",
    "net": "Neto",
    "tax": "IVA",
    "gross": "Total",
    "vat_breakdown": "Desglose del IVA",
    "total_net": "Base imponible",
    "total_tax": "Total IVA",
    "total_gross": "Total a pagar",
    "paid": "Pagada",
    "due": "Le rogamos que pague por transferencia bancaria antes del",
    "bank": "Banco",
    "reference": "Referencia",
    "credits": "Rectifica la factura",
    "of": "del",
    "reason": "Motivo",
    "note_AE": "Inversión del sujeto pasivo (art. 196 de la Directiva 2006/112/CE).",
    "note_K": "Entrega intracomunitaria exenta (art. 138 de la Directiva 2006/112/CE).",
    "note_G": "Exportación fuera de la UE, exenta "
    "(art. 146 de la Directiva 2006/112/CE).",
    "mail_invoice_subject": "Su factura {number}",
    "mail_invoice_body": "Gracias por su pedido {order}. "
    "Le adjuntamos su factura {number}.",
    "mail_credit_note_subject": "Su factura rectificativa {number}",
    "mail_credit_note_body": "Le adjuntamos la factura rectificativa {number} "
    "de su pedido {order}.",
    "mail_payment_subject": "Pago de su pedido {order}",
    "mail_payment_body": "Le rogamos que pague {amount} {currency} por su "
    "pedido {order} aquí: {url}",
}

WORDING = {"en": _EN, "de": _DE, "es": _ES, "fr": _FR}

EXEMPTION_REASONS = {
    VatCategory.REVERSE_CHARGE: "Reverse charge",
    VatCategory.INTRA_COMMUNITY: "Intra-community supply",
    VatCategory.EXPORT: "Export outside the EU",
}


def language_for(locale: str | None, default: str) -> str:
    """The customer's language if billing speaks it, else the shop's default."""
    if locale:
        language = locale.replace("_", "-").split("-")[0].lower()
        if language in WORDING:
            return language
    return default if default in WORDING else "en"


def words(language: str) -> dict[str, str]:
    return WORDING.get(language, _EN)
