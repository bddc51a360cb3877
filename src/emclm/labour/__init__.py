"""Labour-market demand from real vacancies, and the supply–demand gap against the catalogue.

- ``sources``    vacancy sources (schema.org JobPosting, JobTech JobSearch/JobStream, XLSX/CSV + mapping)
- ``records``    ``VacancyRecord``, what a source yields
- ``nuts``       places → country and NUTS 2021 region
- ``coding``     ESCO occupation ranking for ads (``emclm occupations rank``)
- ``normalise``  region, dates, ISCO-08 / national codes → ESCO occupation
- ``tagging``    ESCO skills of an ad (declared, skills-branch extractor, occupation profile)
- ``importer``   streaming, idempotent, resumable import
- ``demand``     demand and gap figures (SQL, SQLite and PostgreSQL)

See docs/decisions/0006-labour-market-analytics.md.
"""
