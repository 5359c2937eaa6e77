"""The pages people use in a browser: server-rendered (jinja2), Chinese first.

``setup.add_pages`` wires them into the web application; ``routes`` is the table of
pages and roles; ``guard`` the one middleware (cookie session, CSRF, roles); ``i18n``
every word in both languages; ``views`` the shared pages (log in, log out, language);
one module per page (``agent_console``).
"""
