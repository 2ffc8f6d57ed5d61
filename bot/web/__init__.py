"""What the desk's web pages share: the one template environment and its base layout
(pages.py), the areas whose templates and static files they are (areas.py), the one
route serving those files (views.py), and desk.js, the staff pages' DOM and API helpers."""
