"""A pool of sentences written for these tests (not taken from the benchmark's articles).

Genres the benchmark does not hold: technical documentation (dotted names, code
spans, grammar rules), fiction with dialogue, recipes and repair instructions,
legal terms, forum posts, product pages, RFC-like plain text, German, French,
Chinese, Japanese and a few right-to-left sentences. One sentence per line;
every sentence ends with its stop. Headings are short lines without one.
`tests/test_properties.py` checks that no two sentences are near-duplicates
and that none is contained in another, which the properties rely on.
"""

from __future__ import annotations


def _lines(block: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


TECH = _lines("""
Call `os.path.join` to build a path from its parts; it inserts the separator the platform expects.
Any value that registers as `numbers.Real` is accepted, including fractions and decimals.
The function returns `None` when the file does not exist.
Objects that implement `os.PathLike` may be passed wherever a string path is expected.
On Windows the same call goes through `System.IO.File.Open` and inherits its sharing rules.
A power binds more tightly than a unary operator on its left: u_expr ::= power | "-" u_expr.
Multiplicative expressions follow the rule m_expr ::= u_expr | m_expr "*" u_expr, so they group to the left.
Set `timeout` to zero to disable the limit entirely.
Use `json.loads` for text you already hold and `json.load` for an open file.
If the cache directory is read-only, compiled kernels are kept in memory for the lifetime of the process.
Each worker receives its own copy of the configuration object and never writes to it.
Note: the order of keys in the returned mapping is the order in which they were first inserted.
When `strict` is true, unknown fields raise `ValueError` instead of being ignored.
The iterator yields a pair of `(offset, length)` for every match it finds.
Calling `Foo.Bar()` twice returns the very same instance.
Paths are resolved with `pathlib.Path.resolve` before they are compared.
This method is thread-safe.
Deprecated since version 2.4: use `read_bytes` instead.
The parser accepts comments that start with a hash sign and run to the end of the line.
A yield expression may only appear inside a function body: yield_expr ::= "yield" [expression_list].
Keyword arguments that are not recognised are handed on to `subprocess.run` unchanged.
The log level can be raised at run time by sending the process a USR1 signal.
Buffers larger than 64 KiB are written in chunks, and each chunk is flushed before the next one starts.
Environment variables take precedence over the configuration file, but not over command-line options.
The return value is a named tuple with the fields `start`, `end` and `score`.
See `collections.abc.Mapping` for the methods a custom mapping has to provide.
Retries back off exponentially, starting at 100 ms and doubling up to a ceiling of 30 s.
If two plugins register the same name, the one loaded last wins and a warning is logged.
The schema version sits in the header, so older readers can refuse files they do not understand.
Use `itertools.chain.from_iterable` to flatten one level of nesting without building lists in between.
Timestamps are always stored in UTC and converted to local time only for display.
All public functions accept either a path or an open binary file object.
It raises `KeyError` if the key is missing.
Memory use grows with the number of distinct keys — not with the size of the input.
The `--dry-run` flag prints every action that would be taken and then exits with status 0.
Floating-point results are rounded to six significant digits in the text output but kept exact in JSON.
Lists are compared element by element, and the first difference decides the result.
The `max_workers` argument defaults to the number of processors, e.g. 8 on a typical laptop.
Sockets opened by the client are closed when the context manager exits, even after an exception.
The statement `import a.b.c` binds only the name `a` in the current namespace.
Attribute references such as `obj.attr` are evaluated strictly from left to right.
Comparisons can be chained: `a < b < c` means `a < b and b < c`, except that `b` is evaluated once.
Version strings follow the pattern MAJOR.MINOR.PATCH, and pre-releases carry a suffix such as rc1.
Hooks run in the order in which they were registered.
If the configuration file names a directory that does not exist, the loader creates it with the permissions of the current user, writes a README into it, and logs a single warning so that the change does not go unnoticed.
The helper `shelf.open()` creates the database file on first use.
Passing `mode="r"` opens the store read-only, and any attempt to write raises `PermissionError`.
Keys must be strings; use `str(key)` if you store numbers.
Large values are compressed with zlib before they are written, which the caller never sees.
""")

FICTION = _lines("""
The rain had not stopped for three days, and the river was already over the lower road.
“You’re late,” said Marguerite, without looking up from the ledger.
He hung his coat on the nail by the door and stood there, dripping.
“The ferry isn’t running tonight,” he said at last.
She closed the book and laid the pen in the groove of the desk where it always lay.
Outside, a dog barked twice and then thought better of it.
“Then we wait,” she said.
Tomas had been the ferryman’s boy for eleven summers, and in all that time he had never seen the water this colour.
Nobody answered him.
The lamp flickered, steadied, and flickered again.
“Is there any bread left?” asked the younger of the two travellers.
Her grandmother used to say that the river kept a list of everyone who had ever cursed it.
By midnight the water had reached the third step of the inn.
“I counted the sacks twice,” Tomas said, “and there are two missing.”
Marguerite lifted the lantern and went down to the cellar alone.
The smell of wet flour rose to meet her.
Somewhere above them a shutter banged in the wind, over and over, like someone who wanted to be let in.
“Leave it!” she called up the stairs.
In the morning the valley was a lake, flat and grey and perfectly silent.
The travellers left before breakfast, without paying, and nobody ran after them.
He found the missing sacks on the roof of the shed, where the flood had set them down as gently as a hand.
“You see, nothing is ever really lost,” said Marguerite.
Tomas laughed for the first time in a week.
The post arrived on the ninth day, in a rowing boat, with a single letter for a man who had died in the spring.
She read it twice before she decided to burn it.
Old Anselm claimed he could tell the weather from the way the swallows flew over the mill pond.
“The swallows are flying low,” he announced to nobody in particular.
The children were sent to fetch the goats from the upper pasture before the storm broke.
When the bell of Saint-Rémy rang for vespers, the whole village seemed to stop and listen.
It was the kind of silence that makes people whisper without knowing why.
“Promise me you won’t go out on the ice,” his mother said.
He promised, and meant it, and went anyway.
The ice held until the middle of the river and then, with a sound like a pistol shot, it did not.
Years later he would describe the cold as a colour rather than a feeling.
Marguerite kept the inn for another twenty years.
A stranger in a green coat asked for a room facing the water and paid a month in advance.
“Are you a painter?” Tomas asked him.
“Something like that,” the stranger replied, and smiled in a way that ended the conversation.
Every evening he set up his easel on the jetty and painted the same bend of the river.
When the water finally went down, they found the old boat wedged between two willows below the mill, its paint stripped to the wood, its oars gone, and a heron standing in it as if it had waited for them.
None of his paintings were ever finished.
The last of the snow lay in the ditches like torn paper.
""")

RECIPE = _lines("""
Preheat the oven to 200 °C (180 °C fan).
Sift 250 g of flour with a pinch of salt into a large bowl.
Rub in the cold butter with your fingertips until the mixture looks like fine breadcrumbs.
Stir it well.
Add ½ teaspoon of bicarbonate of soda and mix again.
Pour in the buttermilk gradually, stirring with a knife, until a soft dough forms.
Do not overwork the dough or the scones will be tough.
Turn the dough out onto a floured surface and pat it into a round about 3 cm thick.
Cut out rounds with a 6 cm cutter, pressing straight down without twisting.
Brush the tops with beaten egg.
Bake for 12–15 minutes, until risen and golden.
Leave them to cool on a wire rack for at least ten minutes before serving.
Serve with clotted cream and strawberry jam.
For the sauce, melt 30 g of butter in a small pan over a low heat.
Whisk in the flour and cook for one minute, stirring all the time.
Season to taste.
Take the pan off the heat and add the milk a little at a time, whisking out any lumps.
If the sauce is too thick, loosen it with a splash of the water the pasta cooked in.
Chop the onion finely and fry it in olive oil until soft but not brown, about eight minutes.
Add the garlic for the last minute only, because it burns easily.
Tip in the tinned tomatoes, crush them with the back of a spoon, and simmer for twenty minutes.
The sauce keeps for up to three days in the fridge and freezes well.
Tip: warm the plates in the oven while the pasta cooks.
Makes twelve small scones.
Before you start, unplug the appliance and let it cool completely.
Undo the four screws on the back panel with a Phillips screwdriver and lift the panel away.
Keep the screws in a cup so that none of them roll under the workbench.
Disconnect the ribbon cable by pulling gently on its tab, never on the cable itself.
Check the fuse with a multimeter set to continuity.
If it beeps, the fuse is fine and the fault lies elsewhere.
Replace it with a fuse of the same rating, in this case 3.15 A slow-blow.
Reassemble everything in the reverse order.
Water the seedlings from below by standing the tray in a few centimetres of water for half an hour.
Thin them out once the first true leaves appear, leaving the strongest plant in each cell.
Harden off the young plants for a week before planting them out, and bring them in at night if frost is forecast.
Soak the chickpeas overnight in plenty of cold water.
Drain and rinse them, then cook them in fresh water for about an hour, until tender.
Blend with tahini, lemon juice, garlic and a little of the cooking liquid until smooth.
Drizzle with olive oil and dust with paprika just before serving.
Knead for ten minutes.
""")

LEGAL = _lines("""
These Terms of Service govern your use of the website and of any services offered through it.
By creating an account, you agree to be bound by these Terms.
If you do not agree, you must not use the Service.
We may amend these Terms at any time by posting the amended version on the website.
Amendments take effect thirty (30) days after they are posted, unless stated otherwise.
You must be at least 16 years old to register.
You are responsible for keeping your password confidential and for all activity under your account.
Notify us immediately of any unauthorised use of your account.
Subject to § 4.2, the Licensee may not sublicense, sell, lease or otherwise transfer the Software.
Nothing in this Agreement limits either party’s liability for death or personal injury caused by negligence.
The Supplier shall deliver the Goods to the address specified in the Order within the agreed delivery period.
Risk in the Goods passes to the Customer on delivery.
Title to the Goods does not pass until the Supplier has received payment in full.
Invoices are payable within 30 days of the invoice date.
Late payments bear interest at 4 % per annum above the base rate from time to time.
Either party may terminate this Agreement by giving the other not less than three months’ written notice.
Termination does not affect any rights that accrued before the date of termination.
This Agreement is governed by the laws of England and Wales.
The courts of England and Wales have exclusive jurisdiction over any dispute arising out of it.
If any provision is found to be invalid, the remaining provisions remain in full force and effect.
No failure or delay in exercising a right operates as a waiver of that right.
Personal data is processed in accordance with our Privacy Policy.
You may request a copy of the data we hold about you at any time, free of charge.
We retain order records for six years, as required by tax law.
Cookies that are strictly necessary cannot be switched off.
All other cookies are set only with your consent, which you may withdraw whenever you like.
The Service is provided “as is”, without warranty of any kind.
Our total liability under these Terms shall not exceed the fees you paid in the twelve months before the claim.
Headings are for convenience only and do not affect interpretation.
In these Terms, “including” means including without limitation.
Notices must be given in writing and sent to the registered office of the recipient.
A notice sent by e-mail is deemed received on the next working day.
The Customer shall indemnify the Supplier against all claims arising from the Customer’s breach of clause 7.
Force majeure events include strikes, fires, floods and acts of government.
The affected party shall notify the other without delay and use reasonable efforts to mitigate the effect.
This clause survives termination.
Refunds are issued to the original method of payment within fourteen days.
Digital content cannot be returned once the download has started.
Entries received after 23:59 GMT on 31 March will not be accepted.
One entry per household.
Where the Customer disputes any part of an invoice in good faith, it shall notify the Supplier in writing within ten working days, giving reasons, and shall pay the undisputed part by the due date pending resolution.
""")

FORUM = _lines("""
Has anyone else had this problem after the last update?
My laptop now takes almost five minutes to boot, and the fan never stops spinning.
I’ve tried reinstalling the drivers twice, no luck.
Thanks in advance!
EDIT: solved it, see my reply below.
Same here, it started right after I installed version 4.2.1.
Did you try turning off fast startup in the power settings?
That fixed it for me, although I have no idea why.
Welcome to the forum, by the way.
Please post your full system specs and the exact error message, otherwise nobody can help you.
Honestly I gave up on that brand years ago and never looked back.
This thread is three years old, you should start a new one.
Mods, can we get this pinned?
I measured it with a plug-in meter and the idle draw went from 9 W to 31 W after the firmware update.
Not sure if this is the right subforum, but here goes.
We moved into an old house in October and the radiators upstairs only get lukewarm, even with the boiler at 70 °C.
Have you bled them?
Start with the one closest to the boiler and work your way outwards.
You’ll need a radiator key, they cost about two euros at any hardware store.
Quick update for anyone who finds this thread later: bleeding the radiators worked, the house is finally warm.
Bookmarking this for later.
Could you share the config file you ended up using?
Sure, here it is, but remember to change the paths for your own setup.
I wouldn’t recommend that, it voids the warranty.
Does the warranty cover water damage if the phone is rated IP68?
Short answer: no.
Long answer: the rating is tested with fresh water at a depth of 1.5 m for thirty minutes, and the fine print excludes everything else.
I had the same experience with customer support, they kept sending me the same template reply.
Try a different cable before you blame the port.
It turned out to be the cable, of all things.
Can confirm, the beta fixes the memory leak.
Anyone know a good bakery near the station that is open on Sundays?
The one on Kastanienallee opens at seven and the rye bread is excellent.
I’ll report back once I’ve tested it over the weekend.
Has this been reported on the bug tracker yet?
Yes, issue #4471, but it was closed as a duplicate of a two-year-old ticket.
That’s frustrating, but at least the workaround still works.
Cheers, that saved me a whole afternoon.
""")

PRODUCT = _lines("""
The Aurora 2 desk lamp gives a warm, even light without flicker.
Its aluminium arm adjusts in three places and stays exactly where you put it.
Brightness is dimmable in ten steps with a touch control on the base.
Colour temperature: 2700–6500 K.
Power consumption: 9 W.
Includes a 1.8 m cable with a USB-C connector and a mains adapter.
Free delivery on orders over £40.
In stock, ships within 24 hours.
This backpack is made from recycled polyester and has a water-resistant coating.
The padded sleeve fits laptops up to 16 inches.
A hidden pocket on the back panel keeps your passport and phone out of sight.
Weight: 1.1 kg.
Capacity: 28 litres.
Available in charcoal, olive and ochre.
Customers who bought this item also bought the matching rain cover.
Rated 4.6 out of 5 by 312 reviewers.
“Comfortable even on a full day of walking, and nothing has come loose after two years,” writes one buyer.
Machine washable at 30 °C; do not tumble dry.
The kettle boils a full litre in under three minutes and switches off automatically.
A limescale filter in the spout keeps your tea clear.
The base rotates through 360 degrees, so it suits left- and right-handed users alike.
Price includes VAT.
Order before 2 pm for next-day delivery.
Returns are free within 30 days.
These headphones cancel background noise with six microphones and an adaptive filter.
Battery life is up to 40 hours, and ten minutes of charging give another five hours of playback.
The ear cushions are replaceable and sold separately.
Bluetooth 5.3, with support for two devices at the same time.
Compatible with iOS and Android.
What’s in the box: headphones, carrying case, USB-C cable and a 3.5 mm audio cable.
Only 3 left in stock.
The cast-iron skillet comes pre-seasoned and is ready to use.
It works on gas, electric and induction hobs, and in the oven up to 260 °C.
Handwash only, please.
Every skillet is poured and finished by hand in our foundry in Sheffield.
Gift wrapping is available at checkout for €3.50.
""")

RFC = _lines("""
The client MUST send a HELLO message before any other message on a new connection.
A server that receives any other message first MUST close the connection without a reply.
Implementations SHOULD accept messages of up to 65535 octets.
The length field is a 16-bit unsigned integer in network byte order.
Reserved bits MUST be set to zero by senders and MUST be ignored by receivers.
This document obsoletes RFC 9999.
The key words “MUST”, “SHOULD” and “MAY” in this document are to be interpreted as described in BCP 14.
Section 4.2 describes the format of the acknowledgement message.
If the timer expires before an acknowledgement arrives, the sender retransmits the message and doubles the timer, up to a maximum of 60 seconds.
A receiver MAY delay acknowledgements by up to 200 milliseconds in order to combine them.
Each message carries a sequence number that increases by one for every message sent.
Sequence numbers wrap around to zero after 2^32 - 1.
Duplicate messages are discarded silently.
The connection is idle when no message has been sent in either direction for 30 seconds.
An idle connection MAY be closed by either peer.
Security considerations are discussed in Section 9.
An attacker who can observe the traffic learns the length of every message but not its content.
Implementations MUST NOT reuse a nonce with the same key.
The registry is maintained by IANA under the Expert Review policy.
New error codes are assigned from the range 0x0100 to 0x7FFF.
Error code 0x0003 (FLOW_CONTROL) indicates that a peer sent more data than it was allowed to.
The value 0 is reserved and MUST NOT be assigned.
This section is non-normative.
The example below shows a complete exchange between a client and a server.
Lines starting with C: are sent by the client, and lines starting with S: by the server.
A sender SHOULD NOT have more than 16 unacknowledged messages in flight.
The extension is negotiated during the handshake and cannot be enabled later.
Unknown extensions MUST be ignored.
The checksum covers the header and the payload, but not the padding.
Padding consists of zero to three octets, so that the total length is a multiple of four.
Receivers MUST verify the checksum before they process any other field.
Status of This Memo: this is an Internet Standards Track document.
Comments are solicited and should be addressed to the working group’s mailing list.
Timestamps use the format defined in RFC 3339, e.g. 2024-05-01T12:00:00Z.
The maximum number of retransmissions is a local policy decision.
""")

GERMAN = _lines("""
Der Zug nach München fährt heute ausnahmsweise von Gleis 7 ab.
Bitte beachten Sie die geänderten Öffnungszeiten während der Feiertage.
Die Bäckerei öffnet um sechs Uhr, und die ersten Brötchen sind meist schon um halb sieben ausverkauft.
Für Rückfragen stehen wir Ihnen gerne zur Verfügung.
Im Winter ist der Weg über den Pass häufig gesperrt.
Die Straße wurde erst im Frühjahr neu asphaltiert.
Größere Gruppen melden sich bitte mindestens zwei Wochen vorher an.
Das Museum zeigt Gemälde aus drei Jahrhunderten, darunter mehrere Werke, die lange als verschollen galten.
Der Eintritt ist für Kinder unter zwölf Jahren frei.
Ich habe das Gerät zurückgeschickt, weil der Akku nach einer Woche nicht mehr lud.
Sie wusste nicht, ob sie lachen oder weinen sollte.
Über Nacht hatte es geschneit, und der ganze Hof lag weiß und still.
Die Sitzung wird auf Donnerstag verschoben.
Bei Fragen zur Rechnung wenden Sie sich bitte an unsere Buchhaltung.
Die Temperatur sinkt heute Nacht auf minus fünf Grad.
Füllen Sie das Formular vollständig aus und schicken Sie es an die angegebene Adresse.
Der Vortrag beginnt pünktlich um 19 Uhr im großen Saal.
Wir danken allen Helferinnen und Helfern für ihren unermüdlichen Einsatz.
Das Rezept stammt von meiner Großmutter, die es nie aufgeschrieben hat.
Man nehme drei Äpfel, etwas Zimt und eine Handvoll gehackter Walnüsse.
Änderungen und Irrtümer vorbehalten.
Die Brücke über die Mosel ist wegen Bauarbeiten bis Ende Oktober gesperrt.
Übrigens läuft die neue Version auch auf älteren Betriebssystemen problemlos.
Er schloss die Tür hinter sich und blieb eine Weile im dunklen Flur stehen.
""")

FRENCH = _lines("""
Le musée est fermé le mardi et les jours fériés.
La boulangerie du coin vend le meilleur pain de campagne du quartier.
Préchauffez le four à 180 °C et beurrez un moule à manqué.
Il pleuvait depuis le matin, et la place du marché était presque déserte.
Nous vous remercions de votre patience pendant les travaux.
Les inscriptions sont ouvertes jusqu’au 15 septembre.
Elle a traversé la rue sans regarder, perdue dans ses pensées.
Le paiement s’effectue à la réception de la facture.
Ce produit n’est pas disponible dans votre région pour le moment.
À la fin de la journée, les pêcheurs réparaient leurs filets sur le quai.
Les résultats du concours seront publiés la semaine prochaine sur notre site.
Ajoutez une pincée de sel et mélangez délicatement à la spatule.
Le château date du douzième siècle et se visite uniquement avec un guide.
Où avez-vous acheté ce vélo?
Il faut compter environ deux heures de marche pour atteindre le refuge.
Les chiens doivent être tenus en laisse dans l’enceinte du parc.
Ça ne m’étonne pas du tout, répondit-elle en souriant.
Le train de 8 h 12 est supprimé en raison d’un mouvement social.
Toutes les pièces détachées sont garanties deux ans.
Merci de laisser vos chaussures à l’entrée.
La réunion est reportée à une date ultérieure.
Le vieux pêcheur regardait la mer comme on regarde un ami qu’on n’a pas revu depuis longtemps.
Une étude récente montre que les abeilles reconnaissent des visages humains.
Conservez ce document, il vous sera demandé lors de votre prochaine visite.
""")

CHINESE = _lines("""
今天的会议改在下午三点举行。
请在使用前仔细阅读说明书。
这家小店的面条是全城最好吃的。
由于天气原因，航班延误了两个小时。
图书馆周一至周五开放，周末闭馆。
他每天早上六点起床去公园跑步。
本产品保修期为一年。
如有任何问题，请随时与我们联系。
春天来了，河边的柳树都发芽了。
我们的办公室搬到了三楼。
""")

JAPANESE = _lines("""
明日は朝から雨が降る予定です。
この電車は次の駅で止まりません。
ご注文ありがとうございました。
駅の近くに新しいパン屋ができました。
会議の資料は前日までに送ってください。
彼女は窓の外をじっと見つめていた。
この設定は再起動後に有効になります。
営業時間は午前十時から午後八時までです。
猫が机の上で気持ちよさそうに寝ている。
京都の秋は紅葉がとても美しい。
""")

RTL = _lines("""
זהו משפט לדוגמה בעברית.
החנות סגורה בימי שישי.
هذه جملة قصيرة باللغة العربية.
يفتح المتحف أبوابه في الساعة التاسعة صباحا.
""")

GENRES: dict[str, tuple[str, ...]] = {
    "tech": TECH, "fiction": FICTION, "recipe": RECIPE, "legal": LEGAL, "forum": FORUM,
    "product": PRODUCT, "rfc": RFC, "de": GERMAN, "fr": FRENCH, "zh": CHINESE, "ja": JAPANESE, "rtl": RTL,
}

HEADINGS: dict[str, tuple[str, ...]] = {
    "tech": _lines("""
        Installation
        Configuration reference
        Path handling
        Unary and binary expressions
        Error handling
        Concurrency and workers
        Changes in version 2.4
    """),
    "fiction": _lines("""
        Chapter One
        The Flood
        Part Two: The Ice
        The Stranger in the Green Coat
        Epilogue
    """),
    "recipe": _lines("""
        Buttermilk Scones
        A Simple Tomato Sauce
        Replacing the Fuse
        Hummus from Dried Chickpeas
        Raising Seedlings
    """),
    "legal": _lines("""
        Terms of Service
        1. Definitions and Interpretation
        7. Payment Terms
        12. Termination
        Governing Law and Jurisdiction
    """),
    "forum": _lines("""
        Laptop slow after update
        Cold radiators upstairs
        Re: Warranty question
        Bakery near the station?
    """),
    "product": _lines("""
        Aurora 2 Desk Lamp
        Trail 28 Backpack
        Product details
        Technical specifications
        Customer reviews
    """),
    "rfc": _lines("""
        1. Introduction
        4.2. Acknowledgements
        9. Security Considerations
        Status of This Memo
        11. IANA Considerations
    """),
    "de": _lines("""
        Öffnungszeiten
        Anfahrt und Parken
        Hinweise für Besucher
    """),
    "fr": _lines("""
        Informations pratiques
        Horaires d’ouverture
        Présentation du château
    """),
    "zh": _lines("""
        营业时间
        注意事项
    """),
    "ja": _lines("""
        お知らせ
        営業案内
    """),
    "rtl": (),
}

#: Short lines of verse (poems with a refrain); none of them ends a sentence.
VERSE = _lines("""
The harbour bell rings out at six,
the gulls come in to land,
a rope lies coiled upon the quay,
the tide is on the sand.
My father mended nets for years,
his hands were brown as bread,
he never sang a single song,
but whistled one instead.
The orchard leans against the wall,
the apples wait for frost,
the ladder rests beneath the tree,
and nothing here is lost.
We walked the lane in April rain,
the hedges full of wrens,
you laughed at something I had said,
I can’t remember when.
The kettle hums, the window steams,
the clock forgets the hour,
a letter waits upon the shelf
beside a dried-up flower.
Across the moor the wind is loud,
the heather bends and sways,
the sheep stand still like scattered stones
on these unending days.
""")

REFRAINS = _lines("""
Come home, come home.
And the river runs on.
Keep the lantern burning.
Sing low, sing slow.
""")

#: Lines a character repeats in a dialogue: content, not a copy.
SAID_AGAIN = _lines("""
“I would prefer not to.”
“Not today,” she said.
“Yes, sir.”
“Again,” said the teacher.
""")

#: Openings that entries of reference texts share (each a tuple of 1-3 sentences).
ENTRY_OPENINGS: dict[str, tuple[tuple[str, ...], ...]] = {
    "api": (
        ("Returns the value of the setting.",),
        ("Returns the value of the setting.", "Raises `LookupError` if the setting was never defined."),
        ("This option takes exactly one value.", "Giving it twice on the command line is an error.",
         "The last value in the configuration file wins."),
        ("Changed in version 3.1: the argument may also be an `os.PathLike` object.",),
    ),
    "schedule": (
        ("Departures are from stand 4 of the central bus station.", "Tickets must be bought before boarding."),
        ("The guided tour lasts about ninety minutes and starts at the main gate.",),
    ),
    "faq": (
        ("Thank you for your question.", "Our support team answers every message within two working days."),
        ("Short answer: it depends on your plan.",),
    ),
    "glossary": (
        ("This term is defined in section 2 of the standard.", "The definition below is informative only."),
        ("In this Agreement, the following word has the meaning given to it below.",),
    ),
}

#: Term lines that introduce entries, per kind of reference text.
ENTRY_TERMS: dict[str, tuple[str, ...]] = {
    "api": ("`max_workers`", "`timeout`", "`cache_dir`", "`strict`", "`encoding`", "`log_level`", "`retries`",
            "`chunk_size`"),
    "schedule": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "faq": ("Q: How do I reset my password?", "Q: Can I change my plan later?", "Q: Do you ship abroad?",
            "Q: Is my data backed up?", "Q: How do I close my account?", "Q: Can I pay by invoice?"),
    "glossary": ("Default", "Sentinel", "Payload", "Handshake", "Licensee", "Working Day", "Nonce", "Peer"),
}

#: Code blocks and tables of code documentation (preformatted: their lines and spaces are content).
CODE_BLOCKS = (
    "    import shelf\n    with shelf.open(\"books.db\") as db:\n        db[\"isbn-0001\"] = record",
    "    import shelf\n    db = shelf.open(\"books.db\", mode=\"r\")\n    print(db.get(\"isbn-0001\"))\n    db.close()",
    "    for key in sorted(db.keys()):\n        print(key, len(db[key]))",
    "    $ shelf compact books.db\n    compacted 1,204 records in 0.31 s",
    "    try:\n        value = settings[\"timeout\"]\n    except KeyError:\n        value = 30",
    "    def total(items):\n        return sum(item.price for item in items)",
)

TABLES = (
    ("Option        Default   Meaning\n"
    "timeout       30        seconds before a request is abandoned\n"
    "retries       3         attempts before giving up\n"
    "chunk_size    65536     bytes read at a time"),
    ("Platform      Minimum version   Notes\n"
    "Linux         glibc 2.28        x86-64 and arm64\n"
    "macOS         12                universal binary\n"
    "Windows       10                x86-64 only"),
    ("Size   Width   Height   Weight\n"
    "S      30 cm   40 cm    0.9 kg\n"
    "M      32 cm   45 cm    1.1 kg\n"
    "L      34 cm   50 cm    1.3 kg"),
)
