from django.urls import include, path

from hotline import views
from hotline.voice import views as voice

app_name = "hotline"
H = "households/<int:household_id>/"
# Twilio's webhooks (signed, POST only). Listed first, and the project lists
# this module first: a caller waits in silence while the URL is resolved, and
# other pages pay two prefix checks for it.
voice_patterns = [
    path("incoming/", voice.incoming, name="voice_incoming"),
    path("step/<slug:name>/", voice.step, name="voice_step"),
    path("offer/<int:message_id>/", voice.offer_call, name="voice_offer"),
]
console_patterns = [
    path("", views.search_page, name="search"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("new-caller/", views.new_caller, name="new_caller"),
    path(H, views.household_page, name="household"),
    path(H + "check/", views.check_booking_code, name="check_booking_code"),
    path(H + "send-code/", views.send_code, name="send_code"),
    path(H + "read-back/", views.read_back, name="read_back"),
    path(H + "end/", views.end_call, name="end_call"),
    path(H + "people/add/", views.add_person, name="add_person"),
    path(H + "people/<int:person_id>/correct/", views.correct_person, name="correct_person"),
    path(H + "people/<int:person_id>/remove/", views.remove_person, name="remove_person"),
    path(H + "people/<int:person_id>/book/", views.book, name="book"),
    path(H + "people/<int:person_id>/join/", views.join_waitlist, name="join_waitlist"),
    path(H + "series/<int:series_id>/cancel/", views.cancel, name="cancel"),
    path(H + "places/<int:entry_id>/leave/", views.leave_waitlist, name="leave_waitlist"),
    path(H + "offers/<int:offer_id>/answer/", views.answer_offer, name="answer_offer"),
]
urlpatterns = [
    path("voice/", include(voice_patterns)),
    path("hotline/", include(console_patterns)),
]
