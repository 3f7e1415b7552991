from django.urls import path

from dashboards import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:level>/<int:pk>/", views.place, name="place"),
    path("<slug:level>/<int:pk>/weekly/", views.weekly, name="weekly"),
    path("district/<int:pk>/target/", views.set_target, name="set-target"),
]
