from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("district/<int:district_pk>/<int:year>/<int:month>/", views.report_month, name="month"),
    path("<int:pk>/", views.report_detail, name="detail"),
]
