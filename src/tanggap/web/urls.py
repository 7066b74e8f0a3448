from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import TemplateView

app_name = "web"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("", TemplateView.as_view(template_name="web/queue.html"), name="queue"),
]
