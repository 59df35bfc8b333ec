from django.urls import path
from django.views.generic import RedirectView

from cuecast.web.views import (
    analytics,
    auth,
    calendar,
    campaigns,
    channels,
    checks,
    compose,
    networks,
    posts,
    report_emails,
    settings,
)

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
    path(
        "w/<slug:slug>/channels/<int:channel_id>/access-tier/",
        channels.channel_access_tier,
        name="channel_access_tier",
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

# Reports, their exports (export.csv / export.xlsx) and the weekly report by e-mail.
urlpatterns += [
    path("w/<slug:slug>/analytics/", analytics.overview, name="analytics"),
    path(
        "w/<slug:slug>/analytics/export.<str:fmt>",
        analytics.overview_export,
        name="analytics_export",
    ),
    path("w/<slug:slug>/analytics/best-time/", analytics.best_time_view, name="best_time"),
    path(
        "w/<slug:slug>/analytics/best-time/hints",
        analytics.best_time_hints,
        name="best_time_hints",
    ),
    path(
        "w/<slug:slug>/analytics/best-time/export.<str:fmt>",
        analytics.best_time_export,
        name="best_time_export",
    ),
    path("w/<slug:slug>/analytics/email/", report_emails.report_emails, name="report_emails"),
    path(
        "w/<slug:slug>/analytics/email/<int:subscription_id>/delete/",
        report_emails.report_email_delete,
        name="report_email_delete",
    ),
    path(
        "w/<slug:slug>/campaigns/<int:campaign_id>/report/",
        analytics.campaign_report,
        name="campaign_report",
    ),
    path(
        "w/<slug:slug>/campaigns/<int:campaign_id>/report/export.<str:fmt>",
        analytics.campaign_export,
        name="campaign_report_export",
    ),
    path(
        "w/<slug:slug>/channels/<int:channel_id>/report/",
        analytics.channel_report,
        name="channel_report",
    ),
    path(
        "w/<slug:slug>/channels/<int:channel_id>/report/export.<str:fmt>",
        analytics.channel_export,
        name="channel_report_export",
    ),
    path(
        "w/<slug:slug>/posts/<int:post_id>/report/export.<str:fmt>",
        analytics.post_export,
        name="post_report_export",
    ),
]

# Moving a post, ending or cancelling its series, and channels' queue slots.
urlpatterns += [
    path(
        "w/<slug:slug>/posts/<int:post_id>/reschedule/",
        posts.post_reschedule,
        name="post_reschedule",
    ),
    path("w/<slug:slug>/posts/<int:post_id>/series/end/", posts.series_end, name="series_end"),
    path(
        "w/<slug:slug>/posts/<int:post_id>/series/cancel/",
        posts.series_cancel,
        name="series_cancel",
    ),
    path(
        "w/<slug:slug>/channels/<int:channel_id>/slots/",
        channels.channel_slots,
        name="channel_slots",
    ),
]

# Holds and checks: the late policy, posts that need a person's check, switching networks off.
urlpatterns += [
    path("w/<slug:slug>/settings/", settings.workspace_settings, name="settings"),
    path("w/<slug:slug>/checks/", checks.check_list, name="checks"),
    path(
        "w/<slug:slug>/targets/<int:target_id>/confirm-published/",
        checks.confirm_published,
        name="confirm_published",
    ),
    path(
        "w/<slug:slug>/targets/<int:target_id>/publish-again/",
        checks.publish_again,
        name="publish_again",
    ),
    path("networks/", networks.network_switches, name="network_switches"),
    path("networks/<slug:key>/", networks.network_switch, name="network_switch"),
]
