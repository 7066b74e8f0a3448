"""The webhooks admin pages, mounted at /admin/webhooks/."""

from django.urls import path

from tanggap.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.webhook_list, name="list"),
    path("new/", views.webhook_create, name="create"),
    path("<int:webhook_id>/", views.webhook_detail, name="detail"),
    path("<int:webhook_id>/edit/", views.webhook_edit, name="edit"),
    path("<int:webhook_id>/active/", views.webhook_set_active, name="set_active"),
    path("<int:webhook_id>/test/", views.webhook_test, name="test"),
    path("<int:webhook_id>/secret/", views.webhook_rotate_secret, name="rotate_secret"),
    path("<int:webhook_id>/deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="retry"),
]
