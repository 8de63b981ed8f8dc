from django.views.generic import DetailView, ListView

from posts.models import Post


class PostListView(ListView):
    queryset = Post.objects.published().for_list()


class CategoryView(PostListView):
    pass


class PostDetailView(DetailView):
    queryset = Post.objects.published()
