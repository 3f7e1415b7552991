from django.urls import path

from dashboards import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("nation/", views.nation, name="nation"),
    path("nation/weekly/", views.nation_weekly, name="nation-weekly"),
    path("nation/contractors/", views.nation_contractors, name="nation-contractors"),
    path("<slug:level>/<int:pk>/", views.place, name="place"),
    path("<slug:level>/<int:pk>/weekly/", views.weekly, name="weekly"),
    path("<slug:level>/<int:pk>/contractors/", views.contractors, name="contractors"),
    path("district/<int:pk>/target/", views.set_target, name="set-target"),
]
