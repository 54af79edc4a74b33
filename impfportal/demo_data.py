"""Demo data for ``manage.py load_demo_data``: plain data, no logic.

The 45 districts (36 Landkreise, the Region Hannover and 8 kreisfreie Städte) of
Lower Saxony, grouped by the former Regierungsbezirke, and 50 vaccination
centers as in 2021 (one per district, a second one in five large districts).
Town, district and postal code names are real; street addresses are only
plausible.
"""

from datetime import date

# District name -> postal codes ((code, town), ...) of residents it is responsible for.
# The postal code of each of its centers is among them.
DISTRICTS: dict[str, tuple[tuple[str, str], ...]] = {
    # Braunschweig
    "Stadt Braunschweig": (
        ("38100", "Braunschweig"),
        ("38114", "Braunschweig"),
        ("38118", "Braunschweig"),
        ("38126", "Braunschweig"),
    ),
    "Stadt Salzgitter": (
        ("38226", "Salzgitter"),
        ("38239", "Salzgitter"),
        ("38259", "Salzgitter"),
    ),
    "Stadt Wolfsburg": (
        ("38440", "Wolfsburg"),
        ("38442", "Wolfsburg"),
        ("38448", "Wolfsburg"),
    ),
    "Landkreis Gifhorn": (
        ("38518", "Gifhorn"),
        ("29378", "Wittingen"),
        ("38536", "Meinersen"),
    ),
    "Landkreis Goslar": (
        ("38640", "Goslar"),
        ("38667", "Bad Harzburg"),
        ("38723", "Seesen"),
    ),
    "Landkreis Göttingen": (
        ("37073", "Göttingen"),
        ("37079", "Göttingen"),
        ("37520", "Osterode am Harz"),
        ("37115", "Duderstadt"),
    ),
    "Landkreis Helmstedt": (
        ("38350", "Helmstedt"),
        ("38364", "Schöningen"),
        ("38154", "Königslutter am Elm"),
    ),
    "Landkreis Northeim": (
        ("37154", "Northeim"),
        ("37574", "Einbeck"),
        ("37170", "Uslar"),
    ),
    "Landkreis Peine": (
        ("31224", "Peine"),
        ("31241", "Ilsede"),
        ("38268", "Lengede"),
    ),
    "Landkreis Wolfenbüttel": (
        ("38300", "Wolfenbüttel"),
        ("38302", "Wolfenbüttel"),
        ("38170", "Schöppenstedt"),
    ),
    # Hannover
    "Region Hannover": (
        ("30159", "Hannover"),
        ("30521", "Hannover"),
        ("30826", "Garbsen"),
        ("31535", "Neustadt am Rübenberge"),
    ),
    "Landkreis Diepholz": (
        ("49356", "Diepholz"),
        ("28857", "Syke"),
        ("27232", "Sulingen"),
        ("28816", "Stuhr"),
    ),
    "Landkreis Hameln-Pyrmont": (
        ("31785", "Hameln"),
        ("31787", "Hameln"),
        ("31812", "Bad Pyrmont"),
    ),
    "Landkreis Hildesheim": (
        ("31134", "Hildesheim"),
        ("31137", "Hildesheim"),
        ("31061", "Alfeld (Leine)"),
        ("31157", "Sarstedt"),
    ),
    "Landkreis Holzminden": (
        ("37603", "Holzminden"),
        ("37627", "Stadtoldendorf"),
        ("37619", "Bodenwerder"),
    ),
    "Landkreis Nienburg/Weser": (
        ("31582", "Nienburg/Weser"),
        ("31592", "Stolzenau"),
        ("27318", "Hoya"),
    ),
    "Landkreis Schaumburg": (
        ("31655", "Stadthagen"),
        ("31675", "Bückeburg"),
        ("31737", "Rinteln"),
    ),
    # Lüneburg
    "Landkreis Celle": (
        ("29221", "Celle"),
        ("29223", "Celle"),
        ("29303", "Bergen"),
    ),
    "Landkreis Cuxhaven": (
        ("27472", "Cuxhaven"),
        ("27474", "Cuxhaven"),
        ("27607", "Geestland"),
        ("21762", "Otterndorf"),
    ),
    "Landkreis Harburg": (
        ("21244", "Buchholz in der Nordheide"),
        ("21423", "Winsen (Luhe)"),
        ("21218", "Seevetal"),
        ("21255", "Tostedt"),
    ),
    "Landkreis Heidekreis": (
        ("29683", "Bad Fallingbostel"),
        ("29614", "Soltau"),
        ("29664", "Walsrode"),
    ),
    "Landkreis Lüchow-Dannenberg": (
        ("29439", "Lüchow (Wendland)"),
        ("29451", "Dannenberg (Elbe)"),
        ("29456", "Hitzacker (Elbe)"),
    ),
    "Landkreis Lüneburg": (
        ("21335", "Lüneburg"),
        ("21337", "Lüneburg"),
        ("21365", "Adendorf"),
    ),
    "Landkreis Osterholz": (
        ("27711", "Osterholz-Scharmbeck"),
        ("28865", "Lilienthal"),
        ("27726", "Worpswede"),
    ),
    "Landkreis Rotenburg (Wümme)": (
        ("27356", "Rotenburg (Wümme)"),
        ("27404", "Zeven"),
        ("27432", "Bremervörde"),
    ),
    "Landkreis Stade": (
        ("21680", "Stade"),
        ("21614", "Buxtehude"),
        ("21635", "Jork"),
    ),
    "Landkreis Uelzen": (
        ("29525", "Uelzen"),
        ("29549", "Bad Bevensen"),
        ("29574", "Ebstorf"),
    ),
    "Landkreis Verden": (
        ("27283", "Verden (Aller)"),
        ("28832", "Achim"),
        ("28876", "Oyten"),
    ),
    # Weser-Ems
    "Stadt Delmenhorst": (
        ("27749", "Delmenhorst"),
        ("27751", "Delmenhorst"),
        ("27753", "Delmenhorst"),
    ),
    "Stadt Emden": (
        ("26721", "Emden"),
        ("26723", "Emden"),
        ("26725", "Emden"),
    ),
    "Stadt Oldenburg (Oldb)": (
        ("26121", "Oldenburg (Oldb)"),
        ("26123", "Oldenburg (Oldb)"),
        ("26135", "Oldenburg (Oldb)"),
    ),
    "Stadt Osnabrück": (
        ("49074", "Osnabrück"),
        ("49076", "Osnabrück"),
        ("49084", "Osnabrück"),
    ),
    "Stadt Wilhelmshaven": (
        ("26382", "Wilhelmshaven"),
        ("26384", "Wilhelmshaven"),
        ("26389", "Wilhelmshaven"),
    ),
    "Landkreis Ammerland": (
        ("26655", "Westerstede"),
        ("26160", "Bad Zwischenahn"),
        ("26180", "Rastede"),
        ("26188", "Edewecht"),
    ),
    "Landkreis Aurich": (
        ("26603", "Aurich"),
        ("26605", "Aurich"),
        ("26506", "Norden"),
        ("26639", "Wiesmoor"),
    ),
    "Landkreis Cloppenburg": (
        ("49661", "Cloppenburg"),
        ("26169", "Friesoythe"),
        ("49624", "Löningen"),
    ),
    "Landkreis Emsland": (
        ("49808", "Lingen (Ems)"),
        ("26871", "Papenburg"),
        ("49716", "Meppen"),
        ("49751", "Sögel"),
    ),
    "Landkreis Friesland": (
        ("26419", "Schortens"),
        ("26441", "Jever"),
        ("26316", "Varel"),
    ),
    "Landkreis Grafschaft Bentheim": (
        ("48527", "Nordhorn"),
        ("48529", "Nordhorn"),
        ("48455", "Bad Bentheim"),
        ("48465", "Schüttorf"),
    ),
    "Landkreis Leer": (
        ("26789", "Leer (Ostfriesland)"),
        ("26826", "Weener"),
        ("26802", "Moormerland"),
    ),
    "Landkreis Oldenburg": (
        ("27793", "Wildeshausen"),
        ("27777", "Ganderkesee"),
        ("27798", "Hude (Oldenburg)"),
        ("26209", "Hatten"),
    ),
    "Landkreis Osnabrück": (
        ("49124", "Georgsmarienhütte"),
        ("49593", "Bersenbrück"),
        ("49324", "Melle"),
        ("49565", "Bramsche"),
    ),
    "Landkreis Vechta": (
        ("49377", "Vechta"),
        ("49393", "Lohne (Oldenburg)"),
        ("49401", "Damme"),
    ),
    "Landkreis Wesermarsch": (
        ("26919", "Brake (Unterweser)"),
        ("26954", "Nordenham"),
        ("26931", "Elsfleth"),
    ),
    "Landkreis Wittmund": (
        ("26409", "Wittmund"),
        ("26427", "Esens"),
        ("26446", "Friedeburg"),
    ),
}

# District -> its centers [(name, street, postal code, town), ...]. The command walks
# them in this order and delivers vaccine to every third center.
CENTERS: dict[str, list[tuple[str, str, str, str]]] = {
    # Braunschweig
    "Stadt Braunschweig": [
        ("Impfzentrum Braunschweig", "Hamburger Straße 267", "38114", "Braunschweig"),
    ],
    "Stadt Salzgitter": [
        ("Impfzentrum Salzgitter", "Joachim-Campe-Straße 6", "38226", "Salzgitter"),
    ],
    "Stadt Wolfsburg": [
        ("Impfzentrum Wolfsburg", "Porschestraße 49", "38440", "Wolfsburg"),
    ],
    "Landkreis Gifhorn": [
        ("Impfzentrum Gifhorn", "Braunschweiger Straße 60", "38518", "Gifhorn"),
    ],
    "Landkreis Goslar": [
        ("Impfzentrum Goslar", "Hildesheimer Straße 30", "38640", "Goslar"),
    ],
    "Landkreis Göttingen": [
        ("Impfzentrum Göttingen", "Robert-Bosch-Breite 10", "37079", "Göttingen"),
        ("Impfzentrum Osterode am Harz", "Dörgestraße 40", "37520", "Osterode am Harz"),
    ],
    "Landkreis Helmstedt": [
        ("Impfzentrum Helmstedt", "Walbecker Straße 1", "38350", "Helmstedt"),
    ],
    "Landkreis Northeim": [
        ("Impfzentrum Northeim", "Sudheimer Straße 30", "37154", "Northeim"),
    ],
    "Landkreis Peine": [
        ("Impfzentrum Peine", "Woltorfer Straße 83", "31224", "Peine"),
    ],
    "Landkreis Wolfenbüttel": [
        ("Impfzentrum Wolfenbüttel", "Am Exer 10", "38302", "Wolfenbüttel"),
    ],
    # Hannover
    "Region Hannover": [
        ("Impfzentrum Hannover Messe", "Messegelände, Halle 13", "30521", "Hannover"),
        ("Impfzentrum Neustadt am Rübenberge", "Leinstraße 85", "31535", "Neustadt am Rübenberge"),
    ],
    "Landkreis Diepholz": [
        ("Impfzentrum Diepholz", "Niedersachsenstraße 2", "49356", "Diepholz"),
    ],
    "Landkreis Hameln-Pyrmont": [
        ("Impfzentrum Hameln", "Süntelstraße 4", "31785", "Hameln"),
    ],
    "Landkreis Hildesheim": [
        ("Impfzentrum Hildesheim", "Bischof-Janssen-Straße 30", "31134", "Hildesheim"),
    ],
    "Landkreis Holzminden": [
        ("Impfzentrum Holzminden", "Bülte 4", "37603", "Holzminden"),
    ],
    "Landkreis Nienburg/Weser": [
        ("Impfzentrum Nienburg", "Berliner Ring 32", "31582", "Nienburg/Weser"),
    ],
    "Landkreis Schaumburg": [
        ("Impfzentrum Stadthagen", "Jahnstraße 20", "31655", "Stadthagen"),
    ],
    # Lüneburg
    "Landkreis Celle": [
        ("Impfzentrum Celle", "Hafenstraße 11", "29223", "Celle"),
    ],
    "Landkreis Cuxhaven": [
        ("Impfzentrum Cuxhaven", "Meyerstraße 49", "27472", "Cuxhaven"),
        ("Impfzentrum Geestland", "Debstedter Straße 18", "27607", "Geestland"),
    ],
    "Landkreis Harburg": [
        ("Impfzentrum Buchholz", "Steinbecker Straße 44", "21244", "Buchholz in der Nordheide"),
    ],
    "Landkreis Heidekreis": [
        ("Impfzentrum Bad Fallingbostel", "Vogteistraße 19", "29683", "Bad Fallingbostel"),
    ],
    "Landkreis Lüchow-Dannenberg": [
        ("Impfzentrum Lüchow", "Königsberger Straße 10", "29439", "Lüchow (Wendland)"),
    ],
    "Landkreis Lüneburg": [
        ("Impfzentrum Lüneburg", "Lise-Meitner-Straße 2", "21337", "Lüneburg"),
    ],
    "Landkreis Osterholz": [
        ("Impfzentrum Osterholz-Scharmbeck", "Loger Straße 40", "27711", "Osterholz-Scharmbeck"),
    ],
    "Landkreis Rotenburg (Wümme)": [
        ("Impfzentrum Rotenburg (Wümme)", "Am Wasserturm 10", "27356", "Rotenburg (Wümme)"),
    ],
    "Landkreis Stade": [
        ("Impfzentrum Stade", "Harsefelder Straße 40", "21680", "Stade"),
    ],
    "Landkreis Uelzen": [
        ("Impfzentrum Uelzen", "Albrecht-Thaer-Straße 101", "29525", "Uelzen"),
    ],
    "Landkreis Verden": [
        ("Impfzentrum Verden", "Lindhooper Straße 65", "27283", "Verden (Aller)"),
    ],
    # Weser-Ems
    "Stadt Delmenhorst": [
        ("Impfzentrum Delmenhorst", "Stickgraser Damm 2", "27751", "Delmenhorst"),
    ],
    "Stadt Emden": [
        ("Impfzentrum Emden", "Früchteburger Weg 30", "26721", "Emden"),
    ],
    "Stadt Oldenburg (Oldb)": [
        ("Impfzentrum Oldenburg", "Europaplatz 12", "26123", "Oldenburg (Oldb)"),
    ],
    "Stadt Osnabrück": [
        ("Impfzentrum Osnabrück", "Hannoversche Straße 50", "49084", "Osnabrück"),
    ],
    "Stadt Wilhelmshaven": [
        ("Impfzentrum Wilhelmshaven", "Friedrich-Paffrath-Straße 116", "26389", "Wilhelmshaven"),
    ],
    "Landkreis Ammerland": [
        ("Impfzentrum Westerstede", "Ammerlandallee 12", "26655", "Westerstede"),
    ],
    "Landkreis Aurich": [
        ("Impfzentrum Aurich", "Egelser Straße 29", "26605", "Aurich"),
    ],
    "Landkreis Cloppenburg": [
        ("Impfzentrum Cloppenburg", "Emsteker Straße 40", "49661", "Cloppenburg"),
    ],
    "Landkreis Emsland": [
        ("Impfzentrum Lingen", "Lindenstraße 24a", "49808", "Lingen (Ems)"),
        ("Impfzentrum Papenburg", "Hauptkanal rechts 68", "26871", "Papenburg"),
    ],
    "Landkreis Friesland": [
        ("Impfzentrum Schortens", "Menkestraße 35", "26419", "Schortens"),
    ],
    "Landkreis Grafschaft Bentheim": [
        ("Impfzentrum Nordhorn", "Denekamper Straße 43", "48529", "Nordhorn"),
    ],
    "Landkreis Leer": [
        ("Impfzentrum Leer", "Nessestraße 2", "26789", "Leer (Ostfriesland)"),
    ],
    "Landkreis Oldenburg": [
        ("Impfzentrum Wildeshausen", "Delmenhorster Straße 6", "27793", "Wildeshausen"),
    ],
    "Landkreis Osnabrück": [
        ("Impfzentrum Georgsmarienhütte", "Malberger Straße 2", "49124", "Georgsmarienhütte"),
        ("Impfzentrum Bersenbrück", "Lindenstraße 2", "49593", "Bersenbrück"),
    ],
    "Landkreis Vechta": [
        ("Impfzentrum Vechta", "Rombergstraße 55", "49377", "Vechta"),
    ],
    "Landkreis Wesermarsch": [
        ("Impfzentrum Brake", "Breite Straße 33", "26919", "Brake (Unterweser)"),
    ],
    "Landkreis Wittmund": [
        ("Impfzentrum Wittmund", "Dohuser Weg 40", "26409", "Wittmund"),
    ],
}

# Demo residents: (phone in E.164, ((first name, last name, date of birth), ...)).
# One household books for a couple; everyone is old enough for the 80+ group.
HOUSEHOLDS: tuple[tuple[str, tuple[tuple[str, str, date], ...]], ...] = (
    (
        "+4915112345601",
        (
            ("Gerda", "Meyer", date(1934, 3, 12)),
            ("Heinz", "Meyer", date(1931, 11, 2)),
        ),
    ),
    ("+4916012345602", (("Ursula", "Schulze", date(1938, 6, 24)),)),
    ("+4917012345603", (("Werner", "Hoffmann", date(1936, 1, 8)),)),
    ("+4917112345604", (("Irmgard", "Janssen", date(1940, 9, 17)),)),
    ("+4915212345605", (("Karl-Heinz", "Brinkmann", date(1939, 4, 30)),)),
)
