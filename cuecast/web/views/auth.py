"""Signing in and out, choosing a workspace, choosing a language."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from cuecast.accounts.models import User
from cuecast.web.access import current_user, remember_language, workspaces_of
from cuecast.web.forms import LanguageForm

# Pages a workspace switch may land on: the same section in the other workspace.
SECTIONS = {"calendar", "compose", "channels"}


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)  # type: ignore[arg-type]
        user = self.request.user
        if isinstance(user, User):
            remember_language(response, user.language)
        return response


class LogoutView(auth_views.LogoutView):
    next_page = "web:login"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    workspaces = workspaces_of(user)
    if len(workspaces) == 1:
        return redirect("web:calendar", slug=workspaces[0].slug)
    return render(request, "web/home.html", {"workspaces": workspaces})


@login_required
@require_GET
def switch_workspace(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    slug = request.GET.get("to", "")
    section = request.GET.get("section", "calendar")
    if slug not in {w.slug for w in workspaces_of(user)}:
        return redirect("web:home")
    return redirect(f"web:{section if section in SECTIONS else 'calendar'}", slug=slug)


@login_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Store the person's language on their user row; it follows them to every browser."""
    user = current_user(request)
    form = LanguageForm(request.POST)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    if form.is_valid():
        user.language = form.cleaned_data["language"]
        user.save(update_fields=["language"])
    response = HttpResponseRedirect(target or reverse("web:home"))
    remember_language(response, user.language)
    return response
