from emclm.cli import app

app()
