"""URL map of the agent workspace (namespace ``web``)."""

from django.urls import path

from tanggap.web.views import (
    admin,
    attachments,
    auth,
    customers,
    inboxes,
    outbound,
    queue,
    search,
    settings,
    tickets,
    webform,
)

app_name = "web"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("", queue.queue, name="queue"),
    path("form/<str:form_key>/", webform.public_form, name="webform"),  # public, no sign-in
    path("bulk/", queue.bulk, name="bulk"),
    path("tickets/new/", tickets.ticket_new, name="ticket_new"),
    path("tickets/<int:ticket_id>/", tickets.ticket_page, name="ticket"),
    path("tickets/<int:ticket_id>/reply/", tickets.ticket_reply, name="ticket_reply"),
    path("tickets/<int:ticket_id>/note/", tickets.ticket_note, name="ticket_note"),
    path("tickets/<int:ticket_id>/status/", tickets.ticket_status, name="ticket_status"),
    path("tickets/<int:ticket_id>/priority/", tickets.ticket_priority, name="ticket_priority"),
    path("tickets/<int:ticket_id>/assignee/", tickets.ticket_assignee, name="ticket_assignee"),
    path("tickets/<int:ticket_id>/team/", tickets.ticket_team, name="ticket_team"),
    path("tickets/<int:ticket_id>/tags/", tickets.ticket_tags, name="ticket_tags"),
    path("tickets/<int:ticket_id>/merge/", tickets.ticket_merge_into, name="ticket_merge"),
    path(
        "tickets/<int:ticket_id>/delivery/retry/",
        outbound.ticket_delivery_retry,
        name="ticket_delivery_retry",
    ),
    path("tickets/<int:ticket_id>/presence/", tickets.ticket_presence, name="ticket_presence"),
    path("tickets/<int:ticket_id>/presence/leave/", tickets.ticket_leave, name="ticket_leave"),
    path(
        "tickets/<int:ticket_id>/attachments/<int:attachment_id>/",
        tickets.ticket_attachment,
        name="ticket_attachment",
    ),
    path(
        "tickets/<int:ticket_id>/messages/<int:message_id>/inline/<path:content_id>",
        attachments.ticket_inline_image,
        name="ticket_inline_image",
    ),
    path("customers/", customers.customers, name="customers"),
    path("customers/<int:customer_id>/", customers.customer_page, name="customer"),
    path(
        "customers/<int:customer_id>/identities/", customers.customer_identity_add, name="customer_identity"
    ),
    path("customers/<int:customer_id>/merge/", customers.customer_merge_into, name="customer_merge"),
    path("search/", search.search, name="search"),
    path("admin/agents/", admin.agents, name="admin_agents"),
    path("admin/agents/new/", admin.agent_new, name="admin_agent_new"),
    path("admin/agents/<int:agent_id>/", admin.agent_edit, name="admin_agent"),
    path("admin/teams/", admin.teams, name="admin_teams"),
    path("admin/teams/new/", admin.team_new, name="admin_team_new"),
    path("admin/teams/<int:team_id>/", admin.team_edit, name="admin_team"),
    path("admin/inboxes/", inboxes.inboxes, name="admin_inboxes"),
    path("admin/inboxes/new/", inboxes.inbox_new, name="admin_inbox_new"),
    path("admin/inboxes/<int:inbox_id>/edit/", inboxes.inbox_edit, name="admin_inbox_edit"),
    path("admin/inboxes/<int:inbox_id>/imap-test/", inboxes.inbox_imap_test, name="admin_inbox_imap_test"),
    path("admin/inboxes/<int:inbox_id>/webform/", webform.inbox_webform, name="admin_inbox_webform"),
    path("admin/quarantine/", inboxes.quarantine, name="admin_quarantine"),
    path("admin/quarantine/<int:mail_id>/", inboxes.quarantine_mail, name="admin_quarantine_mail"),
    path("admin/quarantine/<int:mail_id>/retry/", inboxes.quarantine_retry, name="admin_quarantine_retry"),
    path("settings/", settings.settings_page, name="settings"),
    path("settings/profile/", settings.settings_profile, name="settings_profile"),
    path("settings/password/", settings.settings_password, name="settings_password"),
    path("settings/tokens/", settings.token_create, name="token_create"),
    path("settings/tokens/<int:token_id>/revoke/", settings.token_revoke, name="token_revoke"),
]
