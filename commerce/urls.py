from django.urls import path

from . import views

app_name = "commerce"
urlpatterns = [
    path("fakturaer/", views.invoice_list, name="invoices"),
    path("fakturaer/ny/", views.invoice_create, name="invoice_create"),
    path("fakturaer/<int:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("fakturaer/<int:invoice_id>/rediger/", views.invoice_edit, name="invoice_edit"),
    path("fakturaer/<int:invoice_id>/utsted/", views.invoice_issue, name="invoice_issue"),
    path("fakturaer/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("fakturaer/<int:invoice_id>/krediter/", views.invoice_credit, name="invoice_credit"),
    path("fakturabunter/", views.journal_list, name="journals"),
    path("fakturabunter/<int:journal_id>/", views.journal_detail, name="journal_detail"),
    path("fakturabunter/<int:journal_id>/send/", views.journal_send, name="journal_send"),
    path("innbetalinger/", views.payment_list, name="payments"),
    path("innbetalinger/ny/", views.payment_create, name="payment_create"),
    path("varer/", views.product_list, name="products"),
    path("varer/ny/", views.product_create, name="product_create"),
    path("varer/<int:product_id>/", views.product_edit, name="product_edit"),
    path("leverandorer/", views.supplier_list, name="suppliers"),
    path("leverandorer/ny/", views.supplier_create, name="supplier_create"),
    path("leverandorer/<int:supplier_id>/", views.supplier_edit, name="supplier_edit"),
    path("betalingsbetingelser/", views.payment_terms_list, name="payment_terms"),
    path("betalingsbetingelser/ny/", views.payment_terms_create, name="payment_terms_create"),
    path("betalingsbetingelser/<int:terms_id>/", views.payment_terms_edit, name="payment_terms_edit"),
    path("innkjopsordrer/", views.purchase_order_list, name="purchase_orders"),
    path("innkjopsordrer/ny/", views.purchase_order_create, name="purchase_order_create"),
    path("innkjopsordrer/<int:order_id>/", views.purchase_order_detail, name="purchase_order_detail"),
    path("innkjopsordrer/<int:order_id>/leverandorfaktura/", views.purchase_order_supplier_invoice,
         name="purchase_order_supplier_invoice"),
    path("kontoplan/", views.ledger_account_list, name="ledger_accounts"),
    path("kontoplan/hovedbok/", views.ledger_matching, name="ledger_matching"),
    path("kontoplan/<int:account_id>/koble/", views.ledger_account_match, name="ledger_account_match"),
    path("kontoplan/ny/", views.ledger_account_create, name="ledger_account_create"),
    path("kontoplan/<int:account_id>/", views.ledger_account_edit, name="ledger_account_edit"),
]
