from django.urls import path
from django.views.generic import RedirectView

from cuecast.web.views import auth, calendar, campaigns, channels, compose, posts

app_name = "web"
urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("language/", auth.set_language, name="set_language"),
    path("switch/", auth.switch_workspace, name="switch_workspace"),
    path("oauth/callback/<slug:network>/", channels.oauth_callback, name="oauth_callback"),
    path(
        "oauth/ads-callback/<slug:platform>/",
        campaigns.ads_oauth_callback,
        name="ads_oauth_callback",
    ),
    path("w/<slug:slug>/", RedirectView.as_view(pattern_name="web:calendar"), name="workspace"),
    path("w/<slug:slug>/calendar/", calendar.calendar_view, name="calendar"),
    path("w/<slug:slug>/channels/", channels.channel_list, name="channels"),
    path("w/<slug:slug>/channels/choose/", channels.choose_accounts, name="choose_accounts"),
    path(
        "w/<slug:slug>/channels/connect/<slug:network>/",
        channels.connect_start,
        name="connect",
    ),
    path(
        "w/<slug:slug>/channels/<int:channel_id>/disconnect/",
        channels.channel_disconnect,
        name="disconnect",
    ),
    path("w/<slug:slug>/compose/", compose.compose, name="compose"),
    path("w/<slug:slug>/compose/count", compose.count, name="compose_count"),
    path("w/<slug:slug>/posts/<int:post_id>/", posts.post_detail, name="post"),
    path("w/<slug:slug>/posts/<int:post_id>/cancel/", posts.post_cancel, name="post_cancel"),
    path("w/<slug:slug>/posts/<int:post_id>/approve/", posts.post_approve, name="post_approve"),
    path("w/<slug:slug>/campaigns/", campaigns.campaign_list, name="campaigns"),
    path("w/<slug:slug>/campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path("w/<slug:slug>/campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path("w/<slug:slug>/ad-accounts/", campaigns.ad_accounts, name="ad_accounts"),
    path(
        "w/<slug:slug>/ad-accounts/choose/",
        campaigns.ad_choose_accounts,
        name="ad_choose_accounts",
    ),
    path(
        "w/<slug:slug>/ad-accounts/connect/<slug:platform>/",
        campaigns.ad_connect_start,
        name="ad_connect",
    ),
    path(
        "w/<slug:slug>/ad-accounts/<int:account_id>/sync/",
        campaigns.ad_account_sync,
        name="ad_account_sync",
    ),
    path("w/<slug:slug>/ad-accounts/import/", campaigns.import_preview, name="ad_import"),
    path(
        "w/<slug:slug>/ad-accounts/import/apply/",
        campaigns.import_apply,
        name="ad_import_apply",
    ),
]
