from django.urls import path, re_path

from posts import views

app_name = "posts"

urlpatterns = [
    path("", views.PostListView.as_view(), name="list"),
    path("category/<uslug:slug>/", views.CategoryView.as_view(), name="category"),
    # Before the post's own address: a four-digit year is an archive, never a slug
    # (Post.clean() refuses such slugs).
    re_path(r"^(?P<year>[0-9]{4})/$", views.PostYearArchiveView.as_view(), name="archive-year"),
    re_path(
        r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/$",
        views.PostMonthArchiveView.as_view(),
        name="archive-month",
    ),
    path("preview/<str:token>/", views.SharedPostView.as_view(), name="shared"),  # share links
    path("<slug:slug>/", views.PostDetailView.as_view(), name="detail"),
]
