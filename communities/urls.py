from django.urls import path

from communities import lead_views, people_views, task_force_views, views

app_name = "communities"
urlpatterns = [
    path("compounds/", views.compound_list, name="compound-list"),
    path("compounds/new/", views.compound_create, name="compound-create"),
    path("compounds/<int:pk>/", views.compound_detail, name="compound-detail"),
    path("compounds/<int:pk>/buildings/new/", views.building_create, name="building-create"),
    path("setup/", views.places, name="places"),
    path("setup/import/", views.places_import, name="places-import"),
    path("setup/subdistricts/new/", views.subdistrict_edit, name="subdistrict-create"),
    path("setup/subdistricts/<int:pk>/edit/", views.subdistrict_edit, name="subdistrict-edit"),
    path("setup/communities/new/", views.community_edit, name="community-create"),
    path("setup/communities/<int:pk>/edit/", views.community_edit, name="community-edit"),
    path("compounds/<int:pk>/edit/", views.compound_edit, name="compound-edit"),
    path("compounds/<int:pk>/leads/", lead_views.compound_leads, name="compound-leads"),
    path("compounds/<int:pk>/board/", lead_views.board_contact_edit, name="board-contact-edit"),
    path("buildings/<int:pk>/lead/", lead_views.building_lead, name="building-lead"),
    path("buildings/<int:pk>/lead/end/", lead_views.building_lead_end, name="building-lead-end"),
    path(
        "compounds/<int:pk>/<slug:body>/",
        views.governance,
        name="governance",
    ),
    path("buildings/<int:pk>/edit/", views.building_edit, name="building-edit"),
    path("buildings/<int:pk>/delete/", views.building_delete, name="building-delete"),
    path("people/", people_views.people_list, name="people-list"),
    path("people/invite/", people_views.person_invite, name="person-invite"),
    path("people/<int:pk>/", people_views.person_detail, name="person-detail"),
    *[
        path(f"people/<int:pk>/{state}/", people_views.person_switch, {"state": state}, name=f"person-{state}")
        for state in ("deactivate", "reactivate", "reinvite")
    ],
    path("roles/<int:pk>/revoke/", people_views.role_revoke, name="role-revoke"),
    path("companies/", people_views.company_list, name="company-list"),
    path("companies/new/", people_views.company_edit, name="company-create"),
    path("companies/<int:pk>/edit/", people_views.company_edit, name="company-edit"),
    path("task-forces/", task_force_views.task_force_list, name="task-force-list"),
    path("task-forces/<int:pk>/", task_force_views.task_force_detail, name="task-force-detail"),
]
