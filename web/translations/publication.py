"""English for what the city publishes: the case page's public description and photos, and the photo checks of
the public form and the contractor portal."""

EN = {
    # staff: the case page
    "De tekst van de melder is niet zichtbaar voor je rol.": "The reporter's text is not visible for your role.",
    "Bestanden zijn niet zichtbaar voor je rol.": "Files are not visible for your role.",
    "Publiek maken": "Publish", "Niet meer publiek": "Unpublish",
    "Een publieke foto staat op de volgpagina en in de Open311-feed. Maak alleen foto’s publiek waarop geen mensen, "
    "nummerplaten of andere privégegevens te zien zijn.":
        "A published photo is shown on the tracking page and in the Open311 feed. Only publish photos that show no "
        "people, number plates or other private details.",
    "Publieke omschrijving": "Public description",
    "Wat de stad over dit dossier publiceert (Open311-feed). Leeg: er wordt geen omschrijving gepubliceerd, ook "
    "niet de tekst van de melder.":
        "What the city publishes about this case (Open311 feed). Empty: no description is published, nor the "
        "reporter's text.",
    "Publieke omschrijving bewaard.": "Public description saved.",
    "De publieke omschrijving is te lang: {count} tekens, maximaal {max} tekens.":
        "The public description is too long: {count} characters, at most {max}.",
    "Deze foto kan niet gelezen worden (beschadigd of onvolledig); ze werd niet publiek gemaakt.":
        "This photo cannot be read (damaged or incomplete); it was not published.",
    "Alleen foto's kunnen publiek gemaakt worden.": "Only photos can be published.",
    "Foto {name} is publiek.": "Photo {name} is published.",
    "Foto {name} is niet meer publiek.": "Photo {name} is no longer published.",
    # the public form and the contractor portal: photo checks
    "De stad bewaart uw foto's zonder de gegevens die uw toestel erin opslaat, zoals de plaats en het toestel. "
    "Ze worden niet gepubliceerd, tenzij een medewerker ze daarvoor uitkiest.":
        "The city keeps your photos without the details your device stores in them, such as the place and the "
        "device. They are not published unless a member of staff selects them for that.",
    "{name}: de foto heeft te veel pixels ({width} x {height}), maximaal {megapixels} megapixel. Verklein de foto "
    "of kies een andere.":
        "{name}: the photo has too many pixels ({width} x {height}), at most {megapixels} megapixels. Make the "
        "photo smaller or choose another one.",
    "{name}: de foto heeft te veel pixels, maximaal {megapixels} megapixel. Verklein de foto of kies een andere.":
        "{name}: the photo has too many pixels, at most {megapixels} megapixels. Make the photo smaller or choose "
        "another one.",
    "{name}: deze foto kan niet gelezen worden (beschadigd of onvolledig). Kies een andere foto.":
        "{name}: this photo cannot be read (damaged or incomplete). Choose another photo.",
}
