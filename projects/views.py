from django.views.generic import DetailView, ListView

from projects.models import Donor, Project


class ProjectListView(ListView):
    model = Project


class ProjectDetailView(DetailView):
    model = Project


class DonorListView(ListView):
    model = Donor


class DonorDetailView(DetailView):
    model = Donor
