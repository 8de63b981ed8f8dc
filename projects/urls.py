from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("projects/", views.ProjectListView.as_view(), name="list"),
    path("projects/<slug:slug>/", views.ProjectDetailView.as_view(), name="detail"),
    path("donors/", views.DonorListView.as_view(), name="donor-list"),
    path("donors/<slug:slug>/", views.DonorDetailView.as_view(), name="donor-detail"),
]
