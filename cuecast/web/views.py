from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Cuecast")


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
