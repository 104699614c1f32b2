"""English for the pages that refuse bad input or report an unreachable database (web/url_ids.py,
web/input_guard.py, web/outage.py)."""

EN = {
    "De parameter '{name}' in de link moet een geheel getal zijn.": "The parameter '{name}' in the link must be a "
                                                                    "whole number.",
    "De parameter '{name}' in de link moet tussen {low} en {high} liggen.": "The parameter '{name}' in the link "
                                                                            "must be between {low} and {high}.",
}
