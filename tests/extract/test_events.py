"""Meetings, attacks and agreements: one event per happening, with who, where and when."""
from __future__ import annotations

from newsgraph._models import Article

TUE = "2024-03-05"  # a Tuesday


def events(article: Article, typ: str) -> list:  # type: ignore[type-arg]
    return [e for e in article.events if e.type == typ]


# ---- meetings ----------------------------------------------------------------------------
def test_a_meeting_has_participants_place_and_date(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Chilean President Gabriel Boric met Argentine President Javier Milei in Santiago on Monday.",
               published=TUE)
    [m] = events(art, "meeting")
    assert set(m.participants) == {"Gabriel Boric", "Javier Milei"}
    assert (m.place, m.date) == ("Santiago", "2024-03-04")
    assert m.evidence and m.evidence[0].rule.startswith("meeting:")


def test_passive_voice(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Chilean President Gabriel Boric was received by Javier Milei in Buenos Aires on Tuesday.",
               published=TUE)
    [m] = events(art, "meeting")
    assert set(m.participants) == {"Gabriel Boric", "Javier Milei"}
    assert m.date == TUE


def test_coordinated_subjects(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Gabriel Boric and Javier Milei met in Santiago on Monday.", published=TUE)
    [m] = events(art, "meeting")
    assert set(m.participants) == {"Gabriel Boric", "Javier Milei"}


def test_a_meeting_told_twice_is_one_meeting(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Gabriel Boric met Javier Milei in Santiago on Monday.",
               "Boric and Milei met for three hours, officials said.", published=TUE)
    assert len(events(art, "meeting")) == 1


def test_a_caption_only_meeting_counts(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The two countries share a long border and a history of disputes.",
               caption="Chilean President Gabriel Boric meets Argentine President Javier Milei in Santiago, "
                       "March 4, 2024.", caption_date="2024-03-04")
    [m] = events(art, "meeting")
    assert m.date == "2024-03-04"
    assert art.published == "2024-03-04"


def test_a_phone_call_is_not_a_meeting(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Gabriel Boric received a telephone call from Javier Milei on Monday.", published=TUE)
    assert not events(art, "meeting")


def test_planned_and_negated_meetings_are_non_events(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Gabriel Boric will meet Javier Milei in Lima next week.",
               "Boric did not meet Paraguayan President Santiago Pena.", published=TUE)
    assert not events(art, "meeting")
    assert {e.modality for e in art.non_events if e.type == "meeting"} == {"planned", "negated"}


# ---- attacks -----------------------------------------------------------------------------
def test_attack_counts_in_words_and_digits(read) -> None:  # type: ignore[no-untyped-def]
    art = read("A car bomb killed at least fifteen people and wounded 40 in Kandahar on Sunday, police said.",
               published=TUE)
    [a] = events(art, "attack")
    assert (a.killed, a.injured, a.place, a.date) == (15, 40, "Kandahar", "2024-03-03")


def test_claimed_and_blamed_are_kept_apart(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Gunmen opened fire on a bus in Mosul on Sunday, killing six passengers.",
               "The Iraqi government blamed the attack on ISIS.", published=TUE)
    [a] = events(art, "attack")
    assert a.blamed == ["ISIS"]
    art = read("Gunmen opened fire on a bus in Mosul on Sunday, killing six passengers.",
               "Hamas claimed responsibility for the attack.", published=TUE)
    [a] = events(art, "attack")
    assert a.perpetrators == ["Hamas"] and not a.blamed


def test_one_attack_however_many_sentences(read) -> None:  # type: ignore[no-untyped-def]
    art = read("A suicide bomber killed 12 people at a market in Kabul on Monday.",
               "The attack was the deadliest in the city this year.",
               "Witnesses said the blast shattered windows across the market.", published=TUE)
    assert len(events(art, "attack")) == 1


def test_an_earlier_attack_with_its_own_date_is_another_event(read) -> None:  # type: ignore[no-untyped-def]
    art = read("A suicide bomber killed 12 people at a market in Kabul on Monday.",
               "In a similar bombing last June, 30 people were killed in Kandahar.", published=TUE)
    dates = sorted(a.date or "" for a in events(art, "attack"))
    assert dates == ["2023-06", "2024-03-04"]


def test_threats_are_not_attacks(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The militants threatened to attack the capital again.", published=TUE)
    assert not events(art, "attack")


# ---- agreements --------------------------------------------------------------------------
def test_an_agreement_with_parties_duration_topics(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Norway and Chile signed a 10-year agreement on fisheries in Oslo on Monday.", published=TUE)
    [a] = events(art, "agreement")
    assert set(a.participants) == {"Norway", "Chile"}
    assert (a.duration_years, a.place, a.date) == (10, "Oslo", "2024-03-04")
    assert "fisheries" in a.topics


def test_signatories_bring_their_states(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Peruvian Foreign Minister Ana Ruiz signed a trade pact with Bolivian Foreign Minister "
               "Luis Soto in Lima on Monday.", published=TUE)
    [a] = events(art, "agreement")
    assert set(a.signatories) == {"Ana Ruiz", "Luis Soto"}
    assert set(a.participants) == {"Peru", "Bolivia"}


def test_a_negated_agreement_is_a_non_event(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Peru and Bolivia did not sign any agreement during the visit.", published=TUE)
    assert not events(art, "agreement")
    assert [e.modality for e in art.non_events if e.type == "agreement"] == ["negated"]


# ---- publication date --------------------------------------------------------------------
def test_published_is_the_day_after_the_photo_when_the_text_reports_that_day(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The ministers met on Monday. The foreign ministry welcomed the outcome on Tuesday.",
               caption="Ministers meet in Oslo, March 4, 2024.", caption_date="2024-03-04")
    assert art.published == "2024-03-05"


def test_a_plan_for_the_next_day_does_not_move_the_publication_date(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The ministers met on Monday. They will travel to Bergen on Tuesday.",
               caption="Ministers meet in Oslo, March 4, 2024.", caption_date="2024-03-04")
    assert art.published == "2024-03-04"


def test_a_given_publication_date_is_kept(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The ministers met on Monday.", published="2024-03-06",
               caption="Ministers meet in Oslo, March 4, 2024.", caption_date="2024-03-04")
    assert art.published == "2024-03-06"
    assert art.extractor and art.extractor.startswith("newsgraph.extract")


def test_people_in_asides_are_not_parties(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Gabriel Boric, who succeeded Sebastian Pinera, met Javier Milei in Santiago on Monday, "
               "weeks after Milei had spoken with Luiz Inacio Lula da Silva.", published=TUE)
    [m] = events(art, "meeting")
    assert set(m.participants) == {"Gabriel Boric", "Javier Milei"}


def test_those_accompanying_a_party_take_part(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The king, accompanied by Crown Prince Ali Hassan, was received by President Omar Farouk "
               "in Cairo on Monday.", "King Tariq Aziz had arrived on Sunday.", published=TUE)
    [m] = events(art, "meeting")
    assert {"Ali Hassan", "Omar Farouk"} <= set(m.participants)


def test_one_signing_of_several_documents(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Chile's Foreign Minister Ana Ruiz and Peru's Foreign Minister Luis Soto signed a treaty of "
               "friendship between Chile and Peru and a declaration of intent between Peru and Bolivia "
               "in Lima on Monday.", published=TUE)
    parties = sorted(sorted(a.participants) for a in events(art, "agreement"))
    assert ["Chile", "Peru"] in parties and ["Bolivia", "Peru"] in parties


def test_an_armed_group_can_be_a_party(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The Sudanese government and the Rapid Support Forces agreed on Monday to a ceasefire in "
               "Khartoum, mediators said.", published=TUE)
    [a] = events(art, "agreement")
    assert "Sudan" in a.participants and len(a.participants) == 2


def test_the_two_leaders_are_the_pair_that_met(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Gabriel Boric met Javier Milei in Santiago on Monday.",
               "Spokesman Pedro Diaz said ministers Ana Ruiz and Luis Soto would follow up.",
               "It was the second meeting between the two leaders this year.", published=TUE)
    [m] = events(art, "meeting")
    assert set(m.participants) == {"Gabriel Boric", "Javier Milei"}


# ---- agreement topics and signatories ----------------------------------------------------
def test_topics_are_the_nouns_of_the_subject_matter_never_dates(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Talks ended late.", "Ghana and Togo signed an agreement on Wednesday on cooperation in mining, "
               "fisheries and customs.", published=TUE)
    [a] = events(art, "agreement")
    assert a.topics == ["mining", "fisheries", "customs"]
    art = read("Talks ended late.", "Laos and Cambodia signed a memorandum on Friday covering tourism and "
               "river transport.", published=TUE)
    [a] = events(art, "agreement")
    assert a.topics == ["tourism", "river transport"]


def test_topics_from_sector_words_and_noun_modifiers(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Talks ended late.", "Qatar and Oman signed a security pact on Sunday in Muscat.",
               "In 2021, the two states signed a 15-year deal for cooperation in the gas, shipping and banking "
               "sectors.",
               published=TUE)
    topics = {t for a in events(art, "agreement") for t in a.topics}
    assert topics == {"security", "gas", "shipping", "banking"}
    assert not {"sunday", "muscat", "qatar", "oman"} & topics


def test_coordinated_signers_and_the_passive_by_phrase(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Uzbek President Shavkat Mirziyoyev welcomed Kazakh President Kassym-Jomart Tokayev to Tashkent "
               "on Monday.", "Mirziyoyev and Tokayev signed a border treaty in Tashkent on Monday.",
               published=TUE)
    [a] = events(art, "agreement")
    assert set(a.signatories) == {"Shavkat Mirziyoyev", "Kassym-Jomart Tokayev"}
    assert set(a.participants) == {"Uzbekistan", "Kazakhstan"}
    art = read("Uzbek President Shavkat Mirziyoyev welcomed Kazakh President Kassym-Jomart Tokayev on Monday.",
               "The treaty was signed by Mirziyoyev and Tokayev in Tashkent on Monday.", published=TUE)
    [a] = events(art, "agreement")
    assert set(a.signatories) == {"Shavkat Mirziyoyev", "Kassym-Jomart Tokayev"}


# ---- attack perpetrators and targets -----------------------------------------------------
def test_a_group_inside_the_subject_phrase_claimed_it(read) -> None:  # type: ignore[no-untyped-def]
    art = read("A car bomb killed eight people in Gao on Sunday.",
               "The al-Qaeda-affiliated JNIM group claimed responsibility for the attack.", published=TUE)
    [a] = events(art, "attack")
    assert a.perpetrators == ["JNIM"] and not a.blamed


def test_a_backer_named_in_a_modifier_is_neither_claimed_nor_blamed(read) -> None:  # type: ignore[no-untyped-def]
    art = read("A drone struck a fuel depot in Marib on Sunday, killing three guards.",
               "Officials blamed the Iran-backed Hezbollah militia for the strike.", published=TUE)
    [a] = events(art, "attack")
    assert a.blamed == ["Hezbollah"]
    assert "Iran" not in a.perpetrators + a.blamed


def test_an_attack_target_is_a_noun_never_a_day(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The attack on Thursday targeted a police station in Quetta, killing four officers.",
               published=TUE)
    [a] = events(art, "attack")
    assert a.target == "police station"
    art = read("A suicide bombing on Sunday night at a crowded market in Maiduguri killed nineteen people.",
               published=TUE)
    [a] = events(art, "attack")
    assert (a.target, a.killed) == ("market", 19)


# ---- meeting hosts -----------------------------------------------------------------------
def test_who_received_whom_is_the_host(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Senegalese President Bassirou Faye received Malian leader Assimi Goita in Dakar on Monday.",
               published=TUE)
    [m] = events(art, "meeting")
    assert m.host == "Bassirou Faye"
    art = read("Malian leader Assimi Goita was welcomed by Senegalese President Bassirou Faye in Dakar on "
               "Monday.", published=TUE)
    [m] = events(art, "meeting")
    assert m.host == "Bassirou Faye"


def test_the_visited_states_leader_is_the_host(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Malian leader Assimi Goita visited Dakar on Monday and met Senegalese President Bassirou Faye.",
               published=TUE)
    [m] = events(art, "meeting")
    assert m.host == "Bassirou Faye"
    art = read("During Malian leader Assimi Goita's visit to Dakar, Senegalese President Bassirou Faye and "
               "Goita held talks on Monday.", published=TUE)
    [m] = events(art, "meeting")
    assert m.host == "Bassirou Faye"


def test_no_host_when_the_text_does_not_say(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Senegalese President Bassirou Faye met Malian leader Assimi Goita in Dakar on Monday.",
               published=TUE)
    [m] = events(art, "meeting")
    assert m.host is None


def test_the_states_whose_leaders_signed_are_parties(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Talks ended late.", "The presidents of Kyrgyzstan and Tajikistan signed a border treaty on "
               "Thursday.", published=TUE)
    [a] = events(art, "agreement")
    assert set(a.participants) == {"Kyrgyzstan", "Tajikistan"}


def test_the_state_where_a_group_signs_is_not_a_party(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Rebels of the National Liberation Army (ELN) attacked a base on Sunday, killing two soldiers.",
               "Last June, the ELN and the government signed a ceasefire in Havana, Cuba.", published=TUE)
    [a] = events(art, "agreement")
    assert "Cuba" not in a.participants
    assert "National Liberation Army" in a.participants


def test_a_demonym_inside_a_groups_name_is_not_blamed(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Five soldiers were killed on Sunday night when militants ambushed their convoy near Miranshah.",
               "No group claimed the attack, but Islamabad blamed the Pakistani Taliban, which has stepped up "
               "attacks on security forces since 2022.", published=TUE)
    [a] = events(art, "attack")
    assert a.blamed == ["Pakistani Taliban"]
    assert (a.killed, a.date) == (5, "2024-03-03")


def test_a_relative_date_dates_the_clause_after_it(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Norway and Chile signed two accords on Tuesday.",
               "The deals were signed by the foreign ministers of the two countries a day after the Chilean "
               "president arrived in Oslo.", published=TUE)
    [a] = events(art, "agreement")
    assert a.date == TUE


def test_putting_signatures_to_a_treaty_is_signing_it(read) -> None:  # type: ignore[no-untyped-def]
    art = read("French President Emmanuel Macron hosted German Chancellor Olaf Scholz on Tuesday.",
               "Macron and Scholz put their signatures to the 10-year treaty after talks in Aachen.", published=TUE)
    [a] = events(art, "agreement")
    assert set(a.signatories) == {"Emmanuel Macron", "Olaf Scholz"}
    assert set(a.participants) == {"France", "Germany"}
    assert a.duration_years == 10


def test_a_dozen_is_twelve(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Gunmen killed a dozen villagers in Zamfara on Sunday night.", published=TUE)
    [a] = events(art, "attack")
    assert (a.killed, a.date, a.place) == (12, "2024-03-03", "Zamfara")


def test_a_meeting_between_titled_people_is_theirs(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The meeting between Kenyan President William Ruto and Ugandan President Yoweri Museveni took "
               "place in Mombasa on Saturday.", published=TUE)
    [m] = events(art, "meeting")
    assert set(m.participants) == {"William Ruto", "Yoweri Museveni"}


def test_cancelled_refused_and_planned_are_not_events(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Kenyan President William Ruto cancelled a planned meeting with Ugandan President Yoweri Museveni "
               "on Saturday.", "Kenya has refused to sign the pipeline agreement with Uganda.",
               "The proposed summit of Kenyan President William Ruto and Ugandan President Yoweri Museveni was "
               "discussed at length.", published=TUE)
    assert not art.events
    assert {(e.type, e.modality) for e in art.non_events} >= {("meeting", "negated"), ("agreement", "negated")}


def test_who_carried_out_strikes_and_what_was_fired_at(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Pakistan carried out airstrikes on militant hideouts in Khost on Monday, killing eight people.",
               published=TUE)
    [a] = events(art, "attack")
    assert a.perpetrators == ["Pakistan"] and a.target == "hideouts"
    art = read("A gunman opened fire at a synagogue in Djerba on Tuesday, killing five people.", published=TUE)
    [a] = events(art, "attack")
    assert (a.target, a.killed) == ("synagogue", 5)


def test_water_cannon_is_not_an_attack(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Chinese coast guard vessels fired water cannon at a Philippine supply boat on Monday.",
               published=TUE)
    assert not events(art, "attack")


def test_a_place_after_at_is_not_a_party(read) -> None:  # type: ignore[no-untyped-def]
    art = read("South African President Cyril Ramaphosa met Zimbabwean President Emmerson Mnangagwa in Pretoria.",
               "Last month, the two countries signed an agreement on a new border post at Beitbridge.",
               published=TUE)
    [a] = events(art, "agreement")
    assert set(a.participants) == {"South Africa", "Zimbabwe"}


def test_reaching_striking_or_sealing_a_deal_is_an_agreement_not_an_attack(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Talks ended late.", "Armenia and Azerbaijan reached a peace agreement in Washington on Friday.",
               published=TUE)
    [a] = events(art, "agreement")
    assert set(a.participants) == {"Armenia", "Azerbaijan"} and a.date == "2024-03-01"
    art = read("Talks ended late.", "Serbia and Hungary struck a deal on gas supplies on Monday.", published=TUE)
    assert not events(art, "attack")
    [a] = events(art, "agreement")
    assert set(a.participants) == {"Serbia", "Hungary"} and "gas supplies" in a.topics


def test_visits_told_many_ways_give_the_host(read) -> None:  # type: ignore[no-untyped-def]
    for text in (("On a visit to Hanoi, South Korean President Yoon Suk Yeol met Vietnamese President To Lam on "
                  "Monday."),
                 "South Korean President Yoon Suk Yeol, visiting Hanoi, met Vietnamese President To Lam on Monday.",
                 "The visiting South Korean president, Yoon Suk Yeol, met Vietnamese President To Lam on Monday.",
                 ("Japanese Prime Minister Fumio Kishida paid an official visit to Hanoi on Monday, where he held "
                  "talks with Vietnamese President To Lam.")):
        art = read(text, published=TUE)
        [m] = events(art, "meeting")
        assert m.host == "To Lam", text


def test_where_a_side_meeting_was_and_who_led_the_delegations(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Chinese President Xi Jinping met Indian Prime Minister Narendra Modi on the sidelines of the "
               "BRICS summit in Kazan on Wednesday.", published=TUE)
    [m] = events(art, "meeting")
    assert m.place == "Kazan"
    art = read("Delegations led by Chinese Foreign Minister Wang Yi and Indian Foreign Minister Subrahmanyam "
               "Jaishankar met in Beijing on Monday.", published=TUE)
    [m] = events(art, "meeting")
    assert set(m.participants) == {"Wang Yi", "Subrahmanyam Jaishankar"}


def test_an_attack_by_a_group_and_a_count_around_an_aside(read) -> None:  # type: ignore[no-untyped-def]
    art = read("An airstrike by the Saudi-led coalition hit a school bus in Saada on Thursday, killing 40 children.",
               published=TUE)
    [a] = events(art, "attack")
    assert a.perpetrators == ["Saudi-led coalition"] and a.target == "school bus"
    art = read("At least 12 people, including three children, were killed in the attack in Bamako on Tuesday.",
               published=TUE)
    [a] = events(art, "attack")
    assert (a.killed, a.place) == (12, "Bamako")


def test_the_person_visited_is_the_host(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Turkish President Recep Tayyip Erdogan visited Russian President Vladimir Putin in Sochi on Monday.",
               published=TUE)
    [m] = events(art, "meeting")
    assert m.host == "Vladimir Putin"


def test_states_and_bodies_can_be_the_parties_that_met(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Talks ended late.", "Iran and Saudi Arabia held talks in Beijing on Friday, Chinese state media said.",
               published=TUE)
    [m] = events(art, "meeting")
    assert (set(m.participants), m.place) == ({"Iran", "Saudi Arabia"}, "Beijing")
    art = read("Talks ended late.", "Armenian and Azerbaijani officials met in Almaty on Monday.", published=TUE)
    [m] = events(art, "meeting")
    assert set(m.participants) == {"Armenia", "Azerbaijan"}
    art = read("Qatar hosts Al Udeid, the largest US air base in the region.", published=TUE)
    assert not events(art, "meeting")


def test_a_meeting_told_by_people_and_by_their_states_is_one(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Russian President Vladimir Putin met Turkish President Recep Tayyip Erdogan in Sochi on Monday.",
               "Russia and Türkiye held talks on grain exports in Sochi on Monday.", published=TUE)
    [m] = events(art, "meeting")
    assert set(m.participants) == {"Vladimir Putin", "Recep Tayyip Erdogan"}


def test_the_leaders_of_three_states_met_is_the_meeting_of_their_leaders(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The leaders of Algeria, Tunisia and Libya met in Algiers on Saturday.",
               "Tunisian President Kais Saied and Libyan council head Mohamed al-Menfi were welcomed by Algerian "
               "President Abdelmadjid Tebboune on Saturday.", published=TUE)
    [m] = events(art, "meeting")
    assert {"Kais Saied", "Abdelmadjid Tebboune"} <= set(m.participants)


def test_talks_a_deal_came_after_are_not_a_meeting_of_its_parties(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Talks ended late.", "Israel and Hamas agreed to a ceasefire on Wednesday after talks mediated by "
               "Qatar and Egypt.", published=TUE)
    assert not events(art, "meeting")
    assert len(events(art, "agreement")) == 1


def test_they_met_is_the_pair_last_reported_meeting(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Russian President Vladimir Putin met Iranian President Masoud Pezeshkian in the Kremlin on Friday.",
               "Spokesman Dmitry Peskov said US President Donald Trump had not been discussed.",
               "They last met at the BRICS summit in Kazan in October.", published=TUE)
    ms = events(art, "meeting")
    assert len(ms) == 2
    assert all(set(m.participants) == {"Vladimir Putin", "Masoud Pezeshkian"} for m in ms)
    assert {(m.place, m.date) for m in ms} >= {("Kazan", "2023-10")}


def test_shooting_down_missiles_is_no_attack_and_a_groups_home_state_no_perpetrator(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Yemen's Houthi rebels fired a barrage of missiles at Riyadh on Sunday night, killing one man.",
               "Saudi air defenses shot down all seven missiles, the coalition said.", published=TUE)
    [a] = events(art, "attack")
    assert "Saudi Arabia" not in a.perpetrators and "Yemen" not in a.perpetrators


def test_a_states_strike_keeps_its_perpetrator_whoever_it_killed(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Iran fired missiles at two bases on Wednesday in retaliation for last Friday's American drone strike "
               "that killed a commander of the Quds Force.", published=TUE)
    assert any(a.perpetrators == ["United States of America"] for a in events(art, "attack"))


def test_places_of_sites_districts_and_asides(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Argentine President Javier Milei received Italian Prime Minister Giorgia Meloni at the Casa Rosada "
               "presidential palace in Buenos Aires on Wednesday.",
               "Meloni, who had attended the G20 summit in Rio de Janeiro earlier in the week, also met Buenos Aires "
               "Mayor Jorge Macri on Wednesday.", published=TUE)
    places = {frozenset(m.participants): m.place for m in events(art, "meeting")}
    assert places[frozenset({"Javier Milei", "Giorgia Meloni"})] == "Buenos Aires"
    assert places[frozenset({"Giorgia Meloni", "Jorge Macri"})] != "Rio de Janeiro"
    art = read("A bomb exploded near a police checkpoint in the Mastung district of Balochistan on Friday, killing "
               "six people.", "The Balochistan Liberation Army (BLA) said its fighters had carried out the bombing.",
               published=TUE)
    [a] = events(art, "attack")
    assert (a.place, a.perpetrators) == ("Mastung", ["Balochistan Liberation Army"])


def test_a_strike_back_by_the_other_side_is_another_attack(read) -> None:  # type: ignore[no-untyped-def]
    art = read("A car bomb exploded at a Turkish military post near the Syrian town of Tal Abyad on Sunday night, "
               "killing seven soldiers.", "Ankara blamed the attack on the Kurdistan Workers' Party (PKK).",
               "Turkish warplanes later struck suspected PKK positions in northern Iraq.", published=TUE)
    attacks = events(art, "attack")
    assert len(attacks) == 2
    assert attacks[0].place == "Tal Abyad" and attacks[0].killed == 7
    assert attacks[1].perpetrators == ["Türkiye"]


def test_the_two_governments_are_those_whose_leaders_just_met(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Ukrainian President Volodymyr Zelensky held talks with Polish President Andrzej Duda in Warsaw on "
               "Wednesday, his first visit since the Russian invasion.",
               "The two governments signed agreements on energy and grain transit.", published=TUE)
    [a] = events(art, "agreement")
    assert set(a.participants) == {"Poland", "Ukraine"}
