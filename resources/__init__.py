"""ilabdesk's bundled files (icons, sample taxonomy, desktop integration).

This folder is installed as the `ilabdesk_resources` package in wheels and
copied next to the `ilabdesk` package in Briefcase bundles; it holds no code.
Find files with `ilabdesk.bundle.resource_path(...)`.
"""
