"""Terms of a sentence and the questions made from them without a teacher (the coverage fallback)."""

from ilabdesk.sdg.direct import (actor_question, appositive_questions, by_role, count_question, event_question,
                                 role_aliases)
from ilabdesk.sdg.facts import (Term, clause_echo, document_subject, echo_question, leading_subject, name_aliases,
                                named_in_full, opens_a_sentence, relative_clauses, subject_alias, terms_of,
                                when_clauses)
from ilabdesk.sdg.text import answer_candidates, table_sentences


def test_terms_have_kinds_and_units():
    terms = terms_of("The funicular is 2.6 kilometres long and its two cars, named Orion and Vega, opened in 1926.")
    assert [(t.kind, t.text) for t in terms] == [
        ("number", "2.6"), ("number", "two"), ("name", "Orion"), ("name", "Vega"), ("year", "1926")]
    assert terms[0].unit == "kilometres" and terms[1].unit == "cars"
    assert [t.text for t in terms_of("Every year on 14 September the Lantern Tide Festival is held.")] == [
        "14 September", "Lantern Tide Festival"]
    # a capitalised opener is no name; the leaf's own subject is no answer
    assert terms_of("The lighthouse of Brennholt Observatory stands tall.", frozenset({"brennholt", "observatory"})) == []


def test_echo_questions_ask_for_exactly_the_term():
    sentence = "The Harrowgate Lighthouse was designed by the engineer Mirela Oskoven in 1891."
    name, year = [t for t in terms_of(sentence) if t.text in ("Mirela Oskoven", "1891")]
    assert echo_question(sentence, name) == "The Harrowgate Lighthouse was designed by which engineer in 1891?"
    assert echo_question(sentence, year) == "The Harrowgate Lighthouse was designed by the engineer Mirela Oskoven in what year?"
    amount = terms_of("About 140 potters work in the guild.")[0]
    assert echo_question("About 140 potters work in the guild.", amount) == "About how many potters work in the guild?"


def test_an_amount_with_its_scale_word_is_one_term():
    terms = terms_of("The yearly turnover is about 18 million euros, from three thousand buyers.")
    assert [(t.text, t.unit) for t in terms] == [("18 million", "euros"), ("three thousand", "buyers")]


def test_a_fact_of_a_compound_sentence_is_also_asked_from_its_clause_alone():
    alias = ("the glassworks", "the Solberg Glassworks")
    sentence = "The glassworks trains four apprentices each year; an apprenticeship lasts three years."
    terms = terms_of(sentence)
    # a clause that names nothing of the document is asked of its subject, where it has a full name
    assert [clause_echo(sentence, t, alias) for t in terms] == [
        "The glassworks trains how many apprentices each year?",
        "An apprenticeship lasts how many years at the Solberg Glassworks?"]
    assert [clause_echo(sentence, t) for t in terms] == [None, None]
    assert clause_echo("Entry costs 14 euros for adults, and children under twelve go free.",
                       terms_of("children under twelve go free")[0], alias) == \
        "Children under how many go free at the Solberg Glassworks?"
    # one clause, a clause leaning on the one before, or one whose subject is a pronoun: none
    assert clause_echo("The caves stay at 11 degrees Celsius.", terms_of("at 11 degrees")[0], alias) is None
    enlarged = "They were enlarged in 1967, and again in 1994, when a tunnel was cut."
    assert [clause_echo(enlarged, t, alias) for t in terms_of(enlarged)] == [  # 1994's is its "when" clause's
        None, "A tunnel was cut in what year at the Solberg Glassworks?"]
    row = "Fern House: opened 1903; kept at 90 per cent humidity."  # a cell with no subject of its own
    assert clause_echo(row, next(t for t in terms_of(row) if t.text == "90"), alias) is None
    built = "The works was sold in 1901 to Emil Lind, and they built a siding in 1905."
    assert clause_echo(built, terms_of(built)[-1], alias) is None
    assert clause_echo(built, terms_of(built)[0]) == "The works was sold in what year to Emil Lind?"  # a name
    # a subject that does two things (sdg.reader.predicates): each is asked of it alone
    tour = "A guided tour of the Stone Cellars lasts 75 minutes and costs 9 euros."
    assert [clause_echo(tour, t) for t in terms_of(tour)[1:]] == [  # [0]: "Stone Cellars"
        "A guided tour of the Stone Cellars lasts how many minutes?", "A guided tour of the Stone Cellars costs how many euros?"]


def test_a_number_word_is_found_as_a_word_not_inside_another():
    poured = "The molten metal is poured at 1,100 degrees, and a large bell cools in its pit for ten days."
    ten = next(t for t in terms_of(poured) if t.text == "ten")
    assert not opens_a_sentence(ten, poured)  # "ten" is not the one in "molten"
    assert clause_echo(poured, ten, ("the foundry", "the Veldmoor Foundry")) == \
        "A large bell cools in its pit for how many days at the Veldmoor Foundry?"
    ursula = "Great Ursula, the largest bell, hangs in Holm."
    assert opens_a_sentence(terms_of(ursula)[0], ursula)


def test_a_pronoun_gets_the_previous_sentences_subject():
    assert leading_subject("The Salvesen Dome turns on 64 iron wheels.") == "The Salvesen Dome"
    assert leading_subject("Its roof is copper.") == ""
    # a name ends at its comma; a noun phrase at its verb, or after its plural noun
    assert leading_subject("Great Ursula, the largest bell, hangs in Holm.") == "Great Ursula"
    assert leading_subject("The main furnace, called Big Agnes, holds 3 tonnes.") == "The main furnace"
    assert leading_subject("The foundry museum holds about 600 bells.") == "The foundry museum"
    assert leading_subject("The glass tiles are blue.") == "The glass tiles"
    assert leading_subject("The caves stay at 11 degrees.") == "The caves"
    # a clause of its own that opens with a pronoun is asked of the same subject
    bell = "Great Ursula hangs in Holm. It was cast in 1887 and needs six ringers to swing it."
    assert [clause_echo(bell, t) for t in terms_of(bell)[2:]] == [
        "Great Ursula was cast in what year?", "Great Ursula needs how many ringers to swing it?"]
    # a later clause's "it" stands for its own sentence's subject
    resonator = "The institute's best-known invention is a glass tube; it was patented in 1952."
    assert clause_echo(resonator, terms_of(resonator)[0], ("the institute", "the Tolvan Institute")) == \
        "The institute's best-known invention was patented in what year?"
    sentence = "Its copper roof was replaced in 1988."
    year = terms_of(sentence)[0]
    assert echo_question(sentence, year, "The Salvesen Dome") == "The Salvesen Dome's copper roof was replaced in what year?"


def test_the_short_name_of_the_subject_is_found_and_a_question_may_name_it_in_full():
    glassworks = ("# The Solberg Glassworks\n\nThe Solberg Glassworks is a glass factory on Lake Vendel.\n"
                  "The glassworks employs 140 people. Visitors watch from a gallery above the\nglassworks floor.")
    alias = subject_alias(glassworks, document_subject(glassworks))
    assert alias == ("the glassworks", "the Solberg Glassworks")
    assert named_in_full("How many people does the glassworks employ?", alias) == \
        "How many people does the Solberg Glassworks employ?"
    assert named_in_full("The glassworks' furnace is called what?", alias) == "The Solberg Glassworks' furnace is called what?"
    assert named_in_full("How many glassworks are there?", alias) == "How many glassworks are there?"
    # written without an article, the full name is too; a name "X of Y" is called by its first noun
    observatory = "# Brennholt Observatory\n\nBrennholt Observatory opened in 1897. The observatory has two domes. " \
                  "The observatory is run by a foundation."
    assert subject_alias(observatory, "Brennholt Observatory") == ("the observatory", "Brennholt Observatory")
    institute = "The Tolvan Institute of Glass Acoustics was founded in 1931. The institute has 40 staff; the institute ..."
    assert subject_alias(institute, "Tolvan Institute of Glass Acoustics")[0] == "the institute"
    # no short name used twice, or a one-word subject: nothing to name in full
    assert subject_alias("Brennholt Observatory opened in 1897. The observatory has two domes.",
                         "Brennholt Observatory") == ("", "")
    assert subject_alias("Vellmora is an island. The island has a port. The island is small.", "Vellmora") == ("", "")
    assert named_in_full("Where is the island?", ("", "")) == "Where is the island?"


def test_other_things_the_document_names_once_and_then_calls_by_their_noun_have_a_full_name():
    text = ("# Kelderwick Cheese Cooperative\n\n## The Museum\n\nThe cheese ripens in the Stone Cellars, caves above "
            "Tessin. The cellars hold 48,000 wheels. The museum opened in 1990. The cooperative holds the Wheel Race "
            "each year; the race record is 48 seconds. Malin Furu and Selma Vikander built the new dairy.\n")
    aliases = name_aliases(text, "Kelderwick Cheese Cooperative")
    # "## The Museum" is a heading, not a name; "Malin Furu" is never "the furu"
    assert aliases == (("the cellars", "the Stone Cellars"), ("the race", "the Wheel Race"))
    assert named_in_full("How many wheels do the cellars hold?", aliases[0]) == "How many wheels do the Stone Cellars hold?"
    # written with a capital, as the text writes it
    assert name_aliases("The Orlin Harbour Trust was formed in 1971. The Trust has 240 volunteers.", "Orlin") == \
        (("the Trust", "the Orlin Harbour Trust"),)
    # but not a person's surname, or a name's first word: "the Salvesen Dome" is no "Henrik Salvesen"
    assert name_aliases("Henrik Salvesen paid for it. The Salvesen Dome opened in 1897.", "Brennholt") == ()
    # two names that end in one noun: "the hall" could be either
    assert name_aliases("The Music Hall and the Town Hall face each other. The hall has 300 seats.", "") == ()


def test_a_table_row_is_a_sentence_that_says_what_each_cell_is():
    table = ["| Vehicle | Built | Seats | Notes |", "|---|:---:|---|---|",
             "| Saloon coach Marjorie | 1908 | 24 | tea trains |", "| Battery locomotive | 1953 | | |"]
    assert table_sentences(table) == ["Saloon coach Marjorie: built 1908; seats 24; tea trains.",
                                      "Battery locomotive: built 1953."]
    assert table_sentences(["| Saloon coach Marjorie | 1908 | 24 |"]) == ["Saloon coach Marjorie: 1908; 24."]
    # a table after a paragraph used to be left out whole: its facts went untaught and uncounted
    text = "The railway owns three historic vehicles and a small shed.\n\n" + "\n".join(table) + "\n"
    assert answer_candidates(text) == ["The railway owns three historic vehicles and a small shed.",
                                       "Saloon coach Marjorie: built 1908; seats 24; tea trains."]


def test_a_sentence_pointing_back_is_taught_with_the_one_before():
    text = ("# Brennholt\n\nUntil 1926 visitors climbed up the Pilgrim Path on foot.\n"
            "That year a funicular railway was opened from Olvenby.\nA ride takes eleven minutes.\n")
    assert answer_candidates(text) == [
        "Until 1926 visitors climbed up the Pilgrim Path on foot. That year a funicular railway was opened from Olvenby.",
        "A ride takes eleven minutes."]
    assert document_subject(text) == "Brennholt"
    # a pronoun early in the sentence points back too; a relative "that" or an "Each year" does not
    assert answer_candidates("The dairy makes 1,900 tonnes of cheese. Around 70 per cent of it is Amselgold.\n"
                             "Each year the dairy that Ana built opens its doors.") == [
        "The dairy makes 1,900 tonnes of cheese. Around 70 per cent of it is Amselgold.",
        "Each year the dairy that Ana built opens its doors."]
    # "It" and "Its" get the subject of the sentence before, so the fact names what it is about
    assert answer_candidates("Great Ursula, the largest bell, hangs in Holm. It was cast in 1887.\n"
                             "The Glass Museum holds 12,000 objects. Its oldest piece is a bottle from 1849.\n"
                             "In 1972 it won a medal. It is open daily.") == [
        "Great Ursula, the largest bell, hangs in Holm.", "Great Ursula was cast in 1887.",
        "The Glass Museum holds 12,000 objects.", "The Glass Museum's oldest piece is a bottle from 1849.",
        "In 1972 it won a medal. It is open daily."]  # no subject to stand for: taught together
    assert answer_candidates("The tower has 154 steps. It takes ten minutes to climb them.") == [
        "The tower has 154 steps. It takes ten minutes to climb them."]  # an "It" that stands for nothing


def test_a_hard_wrapped_line_starting_with_a_year_is_no_list_item():
    text = "The observatory is run by the Brennholt Foundation, a charity set up in\n1962. Its director is Ingrid Rasmark.\n"
    assert answer_candidates(text) == [
        "The observatory is run by the Brennholt Foundation, a charity set up in 1962.",
        "The observatory's director is Ingrid Rasmark."]


def test_an_answer_of_two_sentences_is_echoed_from_the_one_holding_the_term():
    from ilabdesk.sdg.facts import echo_for

    answer = "The Salvesen Dome turns on a ring of 64 iron wheels. Its copper roof was replaced in 1988."
    year = next(t for t in terms_of(answer) if t.text == "1988")
    assert echo_for(answer, year) == "The Salvesen Dome's copper roof was replaced in what year?"
    wheels = next(t for t in terms_of(answer) if t.text == "64")
    assert echo_for(answer, wheels) == "The Salvesen Dome turns on a ring of how many iron wheels?"


def test_a_weekday_is_a_day_to_ask_for_not_a_name():
    sentence = "The yearly meeting is held on the first Saturday of March in the Old Barn."
    day, barn = terms_of(sentence)
    assert (day.kind, day.text, barn.kind) == ("date", "first Saturday of March", "name")
    assert echo_question(sentence, day) == "The yearly meeting is held on which day in the Old Barn?"
    assert echo_question(sentence, barn) == "The yearly meeting is held on the first Saturday of March in what?"


def test_a_capitalised_word_opening_a_second_sentence_is_no_name():
    share = "Each year the cooperative makes about 1,900 tonnes of cheese. Around 70 per cent of it is Amselgold."
    assert [t.text for t in terms_of(share) if t.kind == "name"] == ["Amselgold"]


def test_an_echo_question_asks_for_the_number_standing_alone_not_the_digits_of_a_year():
    sentence = "Fern House: opened 1903; kept at 90 per cent humidity."
    term = next(t for t in terms_of(sentence) if t.text == "90")
    # it made "Fern House: opened 1how many3; ..." before
    assert echo_question(sentence, term) == "Fern House: opened 1903; kept at how many per cent humidity?"


def test_a_month_standing_alone_is_a_fact_to_ask_for_and_no_part_of_a_name():
    sentence = "In August the Palm House stays open until midnight for the Night of Lanterns."
    month, house, night = terms_of(sentence)
    assert (month.kind, month.unit, month.text, house.text, night.text) == (
        "date", "month", "August", "Palm House", "Night of Lanterns")  # it read "August the Palm House" as a name
    assert echo_question(sentence, month) == "In which month the Palm House stays open until midnight for the Night of Lanterns?"
    fair = "Every May the garden holds the Spring Plant Fair."
    assert echo_question(fair, terms_of(fair)[0]) == "In which month the garden holds the Spring Plant Fair?"
    season = "Viewing nights are held from October to March."
    assert [echo_question(season, t) for t in terms_of(season)] == [
        "Viewing nights are held from which month to March?", "Viewing nights are held from October to which month?"]
    # a month with its year is asked for its year; a modal "may" is no month
    assert [(t.kind, t.text) for t in terms_of("It opened in January 1941, and visitors may stay late.")] == [("year", "1941")]


def test_a_fact_in_a_relative_clause_is_asked_of_the_thing_the_clause_says_more_of():
    tunnel = "Nobody may walk through the Oakley tunnel, which is 430 metres long, while trains are running."
    assert relative_clauses(tunnel) == [("the Oakley tunnel", "is 430 metres long")]
    length = next(t for t in terms_of(tunnel) if t.text == "430")
    assert clause_echo(tunnel, length) == "The Oakley tunnel is how many metres long?"
    fair = "Every May the garden holds the Spring Plant Fair, which draws about 12,000 visitors over one weekend."
    visitors = next(t for t in terms_of(fair) if t.kind == "number")
    assert clause_echo(fair, visitors) == "The Spring Plant Fair draws about how many visitors over one weekend?"
    # the thing itself is asked in its sentence; an object's clause ("which the town built") is no subject's
    assert clause_echo(fair, next(t for t in terms_of(fair) if t.kind == "name")) is None
    assert relative_clauses("The museum, which the town built in 1950, is closed.") == []
    assert relative_clauses("It was built by Anna Berg, who was 30.") == []  # no article: whom "who" is is unsure


def test_a_place_after_a_preposition_is_not_read_as_a_role():
    sentence = "The line was built to carry slate from the quarries at Oakley down to the canal at Harrowgate."
    oakley, harrowgate = terms_of(sentence)
    # "... down to which canal at?" before: "the canal at" read like "the architect"
    assert echo_question(sentence, harrowgate) == "The line was built to carry slate from the quarries at Oakley down to the canal at what?"
    assert echo_question(sentence, oakley) == "The line was built to carry slate from the quarries at what down to the canal at Harrowgate?"
    assert echo_question("It was designed by the architect Malin Furu.", Term("name", "Malin Furu")) == \
        "It was designed by which architect?"


def test_what_happened_at_a_time_named_before_when_is_asked_of_that_time():
    run = "The lighthouse has been run by a trust since the keepers left in 1991, when the light was automated."
    assert when_clauses(run) == ["the light was automated in 1991"]
    year = next(t for t in terms_of(run) if t.kind == "year")
    assert clause_echo(run, year, ("", "Hesketh Point Lighthouse")) == \
        "The light was automated in what year at Hesketh Point Lighthouse?"
    # an event's "when" is no time; a clause without a verb is not one
    assert when_clauses("In October the railway holds a Gala Weekend, when every engine is in steam.") == []
    assert when_clauses("It became a foundation in 1978, when the last owner, Greta Lind, gave her shares.") == []


def test_a_name_that_acts_in_a_clause_is_asked_who_with_that_clause_alone():
    sold = "The Orrin family ran the mill for four generations, until Hester Orrin sold it to the parish in 1962."
    hester = next(t for t in terms_of(sold) if t.text == "Hester Orrin")
    # "until what sold it" before: a person asked as a thing
    assert echo_question(sold, hester) == \
        "The Orrin family ran the mill for four generations, until who sold it to the parish in 1962?"
    # the sentence names the mill before her: her "it" is the document's subject
    assert actor_question(sold, hester, "the Pellow Mill") == "Who sold the Pellow Mill to the parish in 1962?"
    assert actor_question(sold, hester, "Brask Lighthouse") is None  # whom "it" stands for is unsure
    rowed = "In the gale of March 1903, his son Edwin Carne swam out with a line to a stranded brig."
    edwin = next(t for t in terms_of(rowed) if t.text == "Edwin Carne")
    assert actor_question(rowed, edwin) == "Who swam out with a line to a stranded brig?"
    assert echo_question(rowed, edwin) is None  # "his son who swam out" reads as another sentence
    year = next(t for t in terms_of(rowed) if t.kind == "year")
    assert echo_question(rowed, year).startswith("In the gale of which month and year, his son")  # was "of March what year"
    # a role asks "which"; a passive, a name after "by" and a one-word name do nothing themselves
    comet = "In 1921 the astronomer Ida Marsh found a comet that now bears her name."
    assert actor_question(comet, Term("name", "Ida Marsh")) == "Which astronomer found a comet that now bears her name?"
    assert actor_question("In 1890 the bell Great Tom was cast in the yard.", Term("name", "Great Tom")) is None
    led = "In 1969 a team led by Ada Berg recorded the hum of the lake."
    assert actor_question(led, Term("name", "Ada Berg")) is None
    assert echo_question(led, Term("name", "Ada Berg")) == "In 1969 a team led by whom recorded the hum of the lake?"
    flood = "The mill moved in 1834, after a flood of the Tarle ruined the old wheel."
    assert "of what ruined" in echo_question(flood, Term("name", "Tarle"))


def test_an_event_a_sentence_dates_by_its_month_is_asked_in_the_passive():
    fair = "Every May the garden holds the Spring Plant Fair, when the glasshouses stay open late."
    may = terms_of(fair)[0]
    assert event_question(fair, may) == "In which month is the Spring Plant Fair held?"
    gala = "On the last weekend of October the railway hosts a Steam Gala, when every engine runs."
    assert event_question(gala, next(t for t in terms_of(gala) if t.unit == "month")) == \
        "In which month is the Steam Gala held?"
    # "the trust holds" is no role ("which trust holds") when the event is asked for
    night = "In August the trust holds Lantern Night."
    assert echo_question(night, Term("name", "Lantern Night")) == "In August the trust holds what?"
    assert event_question("The garden opens in May.", Term("date", "May", "month")) is None  # no event held


def test_a_count_given_in_a_clause_is_asked_of_what_it_counts():
    def asked(sentence: str) -> dict[str, str | None]:
        return {t.text: count_question(sentence, t) for t in terms_of(sentence) if t.kind != "name"}

    trust = "The abbey is run by the Brask Abbey Trust, a charity with 12 paid staff and around 1,400 members."
    assert asked(trust) == {"12": "How many paid staff does the Brask Abbey Trust have?",
                            "1,400": "How many members does the Brask Abbey Trust have?"}
    friends = "The Friends of the Mill, a society with 75 members, paid for the new wheel in 2019."
    assert asked(friends) == {"75": "How many members does the Friends of the Mill have?", "2019": None}
    share = "The library holds 9,000 books and maps, of which about 600 are on loan."
    assert asked(share) == {"9,000": None, "600": "How many books and maps are on loan?"}
    # no appositive of a named thing, and a measure is no count
    assert asked("The old engine house holds a cafe with 40 seats.") == {"40": None}
    assert asked("The Brask Mill, a building with walls 3 metres thick, was built in 1802.")["3"] is None
    assert asked("The Brask Mill, a building with 3 metres, was built in 1802.")["3"] is None


def test_a_name_also_given_by_its_role_is_asked_by_that_role():
    keeper = "The head keeper, Ivo Prell, now leads walks on Saturdays."
    ivo = next(t for t in terms_of(keeper) if t.text == "Ivo Prell")
    assert appositive_questions(keeper, ivo, "Brask Abbey") == [
        "What is the name of the head keeper at Brask Abbey?", "Who is the head keeper at Brask Abbey?"]
    found = "In 1902 the abbey's gardener, Tom Reed, planted the yew maze."
    assert appositive_questions(found, Term("name", "Tom Reed"), "Brask Abbey")[1] == "Who was the abbey's gardener at Brask Abbey?"
    # a name first, with a title; a thing is asked its name only; a role naming the document needs no "at"
    titled = "Dr Lena Hart, the present warden, leads walks on Saturdays."
    assert appositive_questions(titled, terms_of(titled)[0], "Brask Abbey")[1] == "Who is the present warden at Brask Abbey?"
    bell = "Old Maud, the largest bell the abbey owns, hangs in the west tower."
    assert appositive_questions(bell, Term("name", "Old Maud"), "Brask Abbey") == [
        "What is the name of the largest bell the abbey owns?"]
    assert appositive_questions("The oldest, the Iris Room, opened in 1901.", Term("name", "Iris Room"), "X") == []
    assert appositive_questions("The warden, Ivo Prell, a man of few words.", Term("name", "Ivo Prell"), "X") == []


def test_a_sentence_opening_with_its_month_or_a_count_still_has_them_asked():
    # "Every June" was read as the sentence's subject, so its month got no question at all
    fair = "Every June the mill holds the Flour Fair, when the wheel turns all day."
    assert leading_subject(fair) == "The mill"
    assert leading_subject("In December, the museum choir gives three concerts.") == "The museum choir"
    assert leading_subject("May Day is a holiday.") == "May Day"
    june = terms_of(fair)[0]
    assert not opens_a_sentence(june, fair)
    count = "Three keepers and their families lived in the cottages."
    assert not opens_a_sentence(terms_of(count)[0], count)
    assert echo_question(count, terms_of(count)[0]) == "How many keepers and their families lived in the cottages?"
    assert opens_a_sentence(Term("name", "Flour Fair"), "The Flour Fair draws 900 visitors.")


def test_a_clock_time_is_one_term_asked_what_time():
    hours = "The mill is open from 10:00 to 17:00, at a ratio of 3:1."
    assert [(t.kind, t.unit, t.text) for t in terms_of(hours)][:2] == [("date", "time", "10:00"), ("date", "time", "17:00")]
    # was "from what number:00 to 17:00?"
    assert echo_question(hours, terms_of(hours)[0]) == "The mill is open from what time to 17:00, at a ratio of 3:1?"


def test_a_thing_named_and_also_called_by_a_role_is_found_with_that_role():
    """A key-facts item or an appositive pairs a name with what the thing is; the pair counts only where
    another sentence names the thing again (its facts are then asked by the role too)."""
    text = """# Orlin Mill

- Main wheel: the Harker wheel, 9 metres across
- Sluices: 4

The Harker wheel was cast in Leeds in 1862. The head miller, Tom Ashby, grinds on Saturdays.
Ashby also bakes. The oldest, the Ferne stone, dates from 1700. The wheel turns at 6 turns a minute.
"""
    assert role_aliases(text) == (("the Harker wheel", "the main wheel"),)
    # Tom Ashby is named once in full, the superlative is no role, "Sluices: 4" names nothing
    text += "Tom Ashby joined in 1990.\n"
    assert role_aliases(text) == (("the Harker wheel", "the main wheel"), ("Tom Ashby", "the head miller"))
    role = ("the Harker wheel", "the main wheel")
    assert by_role("Where was the Harker wheel cast?", role) == "Where was the main wheel cast?"
    assert by_role("The Harker wheel's rim is how wide?", role) == "The main wheel's rim is how wide?"
    assert by_role("Which main wheel is the Harker wheel?", role) == "Which main wheel is the Harker wheel?"
    assert by_role("How fast does the wheel turn?", role) == "How fast does the wheel turn?"


def test_a_seed_context_that_says_it_states_the_sentence_that_got_its_subject():
    """The seed's context writes "It was founded ..."; the document's fact reads "Orlin Mill was founded
    ...": the seed states it, so the evaluation never asks it as a document-only question."""
    from ilabdesk.sdg.plan import in_seed
    from ilabdesk.sdg.units import SeedExample

    fact = answer_candidates("Orlin Mill grinds oats on the river Tare. It was founded in 1820 by the\n"
                             "miller Jon Ashby, who built its wheel.")[1]
    assert fact == "Orlin Mill was founded in 1820 by the miller Jon Ashby, who built its wheel."
    seed = SeedExample("s0", "It was founded in 1820 by the\nmiller Jon Ashby, who built its wheel.", [("When?", "In 1820.")])
    assert in_seed(fact, seed)
    assert not in_seed("Orlin Mill was rebuilt in 1820 by the miller Jon Ashby, who built its wheel.", seed)
