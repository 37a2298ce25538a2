"""Merchant loyalty API: earning rules, and what a store's server reports (orders, refunds,
activities). A store's server calls these with a shop API key. Store connections (Shopify),
and the one address every connected store sends its webhooks to."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from stampbook.accounts.auth import current_user, me
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.loyalty import (
    campaigns,
    crediting,
    import_queries,
    importing,
    integration_queries,
    integrations,
    ordering,
    queries,
    services,
    webhooks_in,
)
from stampbook.loyalty.import_schemas import (
    CustomerImportIn,
    CustomerImportOut,
    CustomerImportPage,
    ImportFailurePage,
    ImportFailureQuery,
)
from stampbook.loyalty.integration_schemas import (
    DeliveryReceived,
    IntegrationIn,
    IntegrationOut,
    IntegrationPage,
    IntegrationPatch,
)
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.loyalty.schemas import (
    ActivityIn,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    CampaignPatch,
    CreditOut,
    EarningRuleIn,
    EarningRuleOut,
    EarningRulePage,
    EarningRulePatch,
    OrderIn,
    OrderOut,
    OrderPage,
    OrderQuery,
    RefundIn,
    RefundOut,
)
from stampbook.programs import queries as programs_queries

bp = ApiBlueprint("loyalty", __name__, url_prefix="/api/v1", tag="Loyalty")

# Who may call what, declared once: a route's policy names the action, what it is decided on
# and the scope a shop's API key needs.
SEE_HOW_MEMBERS_EARN = route(
    Access.PUBLIC,
    action=LoyaltyAction.RULES_VIEW,
    subject=programs_queries.load_program,
    key_scope="read",
)
ADD_TO_PROGRAM = route(
    Access.USER,
    action=LoyaltyAction.RULES_MANAGE,
    subject=programs_queries.load_program,
    key_scope="write",
)
CHANGE_RULE = route(
    Access.USER, action=LoyaltyAction.RULES_MANAGE, subject=queries.load_rule, key_scope="write"
)
CHANGE_CAMPAIGN = route(
    Access.USER,
    action=LoyaltyAction.RULES_MANAGE,
    subject=queries.load_campaign,
    key_scope="write",
)
RECORD = route(
    Access.USER,
    action=LoyaltyAction.RECORD,
    idempotent=True,
    subject=programs_queries.load_program,
    key_scope="write",
)
READ_RECORDS = route(
    Access.USER,
    action=LoyaltyAction.RECORD,
    subject=programs_queries.load_program,
    key_scope="read",
)


@bp.get("/programs/<int:program_id>/earning-rules")
@SEE_HOW_MEMBERS_EARN
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(EarningRulePage)
@bp.doc(summary="How the program's members earn points", responses=[404])
def list_earning_rules(program_id: int, query: PageQuery) -> EarningRulePage:
    return queries.list_rules(current_user(), program_id, query)


@bp.post("/programs/<int:program_id>/earning-rules")
@ADD_TO_PROGRAM
@bp.input(EarningRuleIn, arg_name="body")
@bp.output(EarningRuleOut, status_code=201)
@bp.doc(
    summary="Add an earning rule (the shop's creator and managers)",
    description=(
        "One live rule per kind, and per name for activities (409 rule_exists, "
        "activity_exists). Purchase: points per per_amount of the subtotal after discounts, "
        'rounded down, e.g. {"kind": "purchase", "points": 1, "per_amount": "1.00"}.'
    ),
    responses=[403, 404, 409],
)
def create_earning_rule(program_id: int, body: EarningRuleIn) -> EarningRuleOut:
    return queries.rule_out(services.create_rule(me(), program_id, body))


@bp.patch("/earning-rules/<int:rule_id>")
@CHANGE_RULE
@bp.input(EarningRulePatch, arg_name="body")
@bp.output(EarningRuleOut)
@bp.doc(
    summary="Change an earning rule; orders already paid keep the rate they earned at",
    responses=[403, 404, 409],
)
def update_earning_rule(rule_id: int, body: EarningRulePatch) -> EarningRuleOut:
    changes = body.model_dump(exclude_unset=True)
    return queries.rule_out(services.update_rule(me(), rule_id, changes))


@bp.delete("/earning-rules/<int:rule_id>")
@CHANGE_RULE
@bp.output({}, status_code=204)
@bp.doc(summary="Delete an earning rule (what it credited stays)", responses=[403, 404])
def delete_earning_rule(rule_id: int) -> tuple[str, int]:
    services.delete_rule(me(), rule_id)
    return "", 204


@bp.post("/programs/<int:program_id>/activities")
@RECORD
@bp.input(ActivityIn, arg_name="body")
@bp.output(CreditOut, status_code=201)
@bp.doc(
    summary="Credit a custom activity to a member or customer; accepts Idempotency-Key",
    description=(
        "The customer is found, or made as an unclaimed customer, by external_id or email. "
        "The same reference credits once: sending it again answers the first credit. "
        "Outside the rule's window: 409 rule_inactive; over its limit per member per "
        "period (on the member's clock): 409 activity_limit_reached. No such activity: 404."
    ),
    responses=[403, 404, 409],
)
def credit_activity(program_id: int, body: ActivityIn) -> CreditOut:
    return CreditOut.model_validate(crediting.credit_activity(me(), program_id, body))


@bp.post("/programs/<int:program_id>/orders")
@RECORD
@bp.input(OrderIn, arg_name="body")
@bp.output(OrderOut, status_code=201)
@bp.doc(
    summary="Record a store's order: it earns once paid; accepts Idempotency-Key",
    description=(
        "Earns by the purchase rule when financial_status is paid, once per order_id: "
        "sending the order again answers it as recorded (a newly paid one earns then, a "
        "cancelled one gives back what it still holds). A test order earns nothing. The "
        "currency must be the program's (409 currency_mismatch)."
    ),
    responses=[403, 404, 409],
)
def record_order(program_id: int, body: OrderIn) -> OrderOut:
    return queries.order_out(ordering.record_order(me(), program_id, body))


@bp.get("/programs/<int:program_id>/orders")
@READ_RECORDS
@bp.input(OrderQuery, location="query", arg_name="query")
@bp.output(OrderPage)
@bp.doc(
    summary="The program's orders with what each earned and gave back (the team)",
    responses=[403, 404],
)
def list_orders(program_id: int, query: OrderQuery) -> OrderPage:
    return queries.list_orders(me(), program_id, query)


@bp.post("/programs/<int:program_id>/refunds")
@RECORD
@bp.input(RefundIn, arg_name="body")
@bp.output(RefundOut, status_code=201)
@bp.doc(
    summary="Record a store's refund: takes back the order's points in proportion",
    description=(
        "Takes back points in proportion to all that was refunded of the order, at the rate "
        "it earned at, capped at what it earned; what the member already spent is recorded "
        "as the order's shortfall. A refund whose order has not arrived is parked (status "
        "parked) and applied when it does. The same refund_id again changes nothing."
    ),
    responses=[403, 404, 409],
)
def record_refund(program_id: int, body: RefundIn) -> RefundOut:
    return queries.refund_out(ordering.record_refund(me(), program_id, body))


@bp.get("/programs/<int:program_id>/campaigns")
@SEE_HOW_MEMBERS_EARN
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(CampaignPage)
@bp.doc(summary="The program's campaigns, with what each has cost", responses=[404])
def list_campaigns(program_id: int, query: PageQuery) -> CampaignPage:
    return queries.list_campaigns(current_user(), program_id, query)


@bp.post("/programs/<int:program_id>/campaigns")
@ADD_TO_PROGRAM
@bp.input(CampaignIn, arg_name="body")
@bp.output(CampaignOut, status_code=201)
@bp.doc(
    summary="Start a campaign: a multiplier or bonus points on chosen rule kinds",
    description=(
        "Multipliers do not stack: when several run at once, the highest applies. Every "
        "running bonus campaign adds its points to each credit. The campaign's points are "
        "ledger entries of their own (kind campaign), so points_given is what it cost."
    ),
    responses=[403, 404, 409],
)
def create_campaign(program_id: int, body: CampaignIn) -> CampaignOut:
    return queries.campaign_out(campaigns.create_campaign(me(), program_id, body))


@bp.patch("/campaigns/<int:campaign_id>")
@CHANGE_CAMPAIGN
@bp.input(CampaignPatch, arg_name="body")
@bp.output(CampaignOut)
@bp.doc(summary="Change a campaign", responses=[403, 404, 409])
def update_campaign(campaign_id: int, body: CampaignPatch) -> CampaignOut:
    changes = body.model_dump(exclude_unset=True)
    return queries.campaign_out(campaigns.update_campaign(me(), campaign_id, changes))


@bp.delete("/campaigns/<int:campaign_id>")
@CHANGE_CAMPAIGN
@bp.output({}, status_code=204)
@bp.doc(summary="End a campaign (the points it gave stay)", responses=[403, 404])
def delete_campaign(campaign_id: int) -> tuple[str, int]:
    campaigns.delete_campaign(me(), campaign_id)
    return "", 204


# --- Store connections (Shopify) and their webhook -------------------------------------------


@bp.get("/shops/<int:shop_id>/integrations")
@route(
    Access.USER,
    action=LoyaltyAction.INTEGRATIONS_MANAGE,
    subject=integration_queries.load_shop,
    key_scope="read",
)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(IntegrationPage)
@bp.doc(
    summary="The shop's store connections, newest first, disconnected ones too (never a secret)",
    responses=[403, 404],
)
def list_integrations(shop_id: int, query: PageQuery) -> IntegrationPage:
    return integration_queries.list_integrations(me(), shop_id, query)


@bp.post("/shops/<int:shop_id>/integrations")
@route(
    Access.USER,
    action=LoyaltyAction.INTEGRATIONS_MANAGE,
    subject=integration_queries.load_shop,
    key_scope="write",
)
@bp.input(IntegrationIn, arg_name="body")
@bp.output(IntegrationOut, status_code=201)
@bp.doc(
    summary="Connect a Shopify store to one of the shop's programs (its creator and managers)",
    description=(
        "Then, in the store's admin, send the topics listed in `topics` to `webhook_url`: paid "
        "orders earn in the program by its purchase rule, refunds and cancellations take back, "
        "new customers get the signup rule. `secret` is the app's API secret key, which signs "
        "the store's webhooks; it is never shown again. A store has one live connection (409 "
        "store_connected); the program must be a live one of this shop (404 otherwise, 409 "
        "archived)."
    ),
    responses=[403, 404, 409],
)
def create_integration(shop_id: int, body: IntegrationIn) -> IntegrationOut:
    return integration_queries.integration_out(integrations.connect(me(), shop_id, body))


@bp.patch("/integrations/<int:integration_id>")
@route(
    Access.USER,
    action=LoyaltyAction.INTEGRATIONS_MANAGE,
    subject=integration_queries.load_integration_subject,
    key_scope="write",
)
@bp.input(IntegrationPatch, arg_name="body")
@bp.output(IntegrationOut)
@bp.doc(
    operation_id="update_integration",
    summary="Give a store connection its Admin API access token, replace it or remove it",
    description=(
        "With the store's Admin API access token, redeeming a discount reward makes its "
        "single-use code in the store; without one, the code is issued here only. The token "
        "is never shown again (`has_access_token` says whether one is held). A disconnected "
        "store's is refused (409 store_disconnected)."
    ),
    responses=[403, 404, 409],
)
def update_integration(integration_id: int, body: IntegrationPatch) -> IntegrationOut:
    integration = integrations.set_access_token(me(), integration_id, body.access_token)
    return integration_queries.integration_out(integration)


@bp.delete("/integrations/<int:integration_id>")
@route(Access.USER, action=LoyaltyAction.INTEGRATIONS_MANAGE, key_scope="write")
@bp.output({}, status_code=204)
@bp.doc(
    summary="Disconnect a store: its webhooks are refused from now on (it stays listed)",
    responses=[403, 404],
)
def delete_integration(integration_id: int) -> tuple[str, int]:
    integrations.disconnect(me(), integration_id)
    return "", 204


@bp.post("/integrations/shopify/webhooks")
@route(Access.PUBLIC)
@bp.output(DeliveryReceived)
@bp.doc(
    summary="Shopify's webhooks, with Shopify's own headers and payloads",
    description=(
        "Called by Shopify, not by people: no token. A body over 1 MiB is refused (413) before "
        "anything else; then `X-Shopify-Shop-Domain` must name a live store connection and "
        "`X-Shopify-Hmac-Sha256` be the base64 HMAC-SHA256 of the raw body keyed with its "
        "secret (401 invalid_signature otherwise, and nothing happens). A delivery counts once "
        "per store, `X-Shopify-Topic` and the body's id: sent again (even under another "
        "`X-Shopify-Webhook-Id`) it answers 200 with `duplicate` and does nothing. Topics it "
        "does not act on answer 200 and are logged. The work is done right after the answer."
    ),
    responses=[400, 401, 413],
)
def receive_shopify_webhook() -> DeliveryReceived:
    # The bound first: the announced length, then what was really read (a chunked body).
    if webhooks_in.too_large(request.content_length):
        raise RequestEntityTooLarge()
    raw = request.get_data(cache=True)
    if webhooks_in.too_large(len(raw)):
        raise RequestEntityTooLarge()
    return webhooks_in.receive(raw, request.headers)


# --- Customer imports ------------------------------------------------------------------------

IMPORT = LoyaltyAction.CUSTOMERS_IMPORT


@bp.post("/programs/<int:program_id>/customer-imports")
@route(
    Access.USER,
    action=IMPORT,
    idempotent=True,
    subject=programs_queries.load_program,
    key_scope="write",
)
@bp.input(CustomerImportIn, arg_name="body")
@bp.output(CustomerImportOut, status_code=202)
@bp.doc(
    summary="Import customers (rows, or a CSV text); a job applies them; accepts Idempotency-Key",
    description=(
        "Each row: identifier (the row's own id), email and/or external_id (how the customer "
        "is found: external_id, then email; a new one is made as an unclaimed customer), "
        "first_name, last_name, points and mode (add, the default, credits the points; set "
        "moves the balance to them). The answer (202) is the queued import: follow its "
        "progress at GET /customer-imports/{id}, and its failed rows, each with its reason, at "
        "GET /customer-imports/{id}/rows. A row whose identifier was applied before in the "
        "program is skipped: sending the same rows again changes nothing. A CSV text must "
        "start with a header naming its columns (identifier,email,external_id,first_name,"
        "last_name,points,mode; identifier and email or external_id at least): 422 "
        "import_file_invalid otherwise. Bigger files: the import page takes uploads."
    ),
    responses=[403, 404, 409],
)
def create_customer_import(program_id: int, body: CustomerImportIn) -> CustomerImportOut:
    return import_queries.import_out(importing.import_rows(me(), program_id, body))


@bp.get("/programs/<int:program_id>/customer-imports")
@route(Access.USER, action=IMPORT, subject=programs_queries.load_program, key_scope="read")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(CustomerImportPage)
@bp.doc(
    summary="The program's customer imports, newest first (the import log)", responses=[403, 404]
)
def list_customer_imports(program_id: int, query: PageQuery) -> CustomerImportPage:
    return import_queries.list_imports(me(), program_id, query)


@bp.get("/customer-imports/<int:import_id>")
@route(Access.USER, action=IMPORT, subject=import_queries.load_import, key_scope="read")
@bp.output(CustomerImportOut)
@bp.doc(summary="A customer import: its status, progress and counts", responses=[403, 404])
def get_customer_import(import_id: int) -> CustomerImportOut:
    return import_queries.import_out(import_queries.load_import(me(), import_id))


@bp.get("/customer-imports/<int:import_id>/rows")
@route(Access.USER, action=IMPORT, subject=import_queries.load_import, key_scope="read")
@bp.input(ImportFailureQuery, location="query", arg_name="query")
@bp.output(ImportFailurePage)
@bp.doc(
    summary="The rows a customer import could not apply, in row order, each with its reason",
    responses=[403, 404],
)
def list_customer_import_rows(import_id: int, query: ImportFailureQuery) -> ImportFailurePage:
    return import_queries.failures(me(), import_id, query)
