"""The organiser's command line (`attendance-admin`, or `python -m admin_commands`): a front end of
its own over the same service functions as the organiser's chat commands (`bot.handlers.organiser`)."""
