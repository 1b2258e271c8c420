"""The public web site: aiohttp handlers and Jinja2 templates over bot.forum.public_site.PublicSite.

Nothing in cogs/ or db/ imports this package; the CLI (bot/web_cli.py) is its composition root.
"""
