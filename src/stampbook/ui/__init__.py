"""What every page uses: validation through the API's models, errors next to fields, plain
words, the schedule form widget, base templates and static files."""
