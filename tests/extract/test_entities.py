"""People, states, places and organizations, as an analyst would list them for one article."""
from __future__ import annotations

from newsgraph._models import Article


def names(article: Article, kind: str) -> set[str]:
    return {e.name for e in article.entities if e.kind == kind}


def person(article: Article, name: str):  # type: ignore[no-untyped-def]
    return next(e for e in article.entities if e.kind == "person" and e.name == name)


def test_titles_become_roles_of_a_state(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Brazil's Foreign Minister Carla Mendes arrived in Lima on Monday for two days of talks.")
    carla = person(art, "Carla Mendes")
    assert carla.roles == ["foreign minister"]
    assert carla.role_of == "Brazil"


def test_a_surname_joins_the_full_name(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Kenyan President William Ruto opened the summit in Mombasa.",
               "Ruto told delegates that the region needed more roads.")
    ruto = person(art, "William Ruto")
    assert [m.text for m in ruto.mentions] == ["William Ruto", "Ruto"]
    assert "Ruto" not in names(art, "person") - {"William Ruto"}


def test_hyphenated_surnames_merge(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Iraq's Foreign Minister Saad Hamid-Karimi visited Amman.",
               "Karimi said the visit was a success.")
    assert [e.name for e in art.entities if e.kind == "person"] == ["Saad Hamid-Karimi"]


def test_states_by_name_demonym_and_abbreviation(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The Peruvian delegation left for Türkiye after US officials raised concerns.")
    assert {"Peru", "Türkiye", "United States of America"} <= names(art, "state")
    peru = next(e for e in art.entities if e.name == "Peru")
    assert peru.surface_forms() == ["Peruvian"]


def test_a_capital_that_speaks_is_its_state(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Nairobi said the proposal was unacceptable.", "The talks will be held in Nairobi.")
    kenya = next(e for e in art.entities if e.name == "Kenya")
    assert kenya.surface_forms() == ["Nairobi"]
    assert "Nairobi" in names(art, "place")


def test_a_state_is_not_a_place(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The minister flew from Mexico City to Canada on Sunday.")
    assert "Canada" in names(art, "state")
    assert "Canada" not in names(art, "place")
    assert "Mexico City" in names(art, "place")


def test_a_title_case_headline_alone_names_no_one(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Talks on the grain deal resumed on Monday.",
               headline="Grain Talks Resume As Exporters Wait")
    assert not names(art, "person")


def test_an_honorific_marks_a_person_the_model_missed(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The envoy was received by Sultan Qaboos in Muscat.")
    assert "Qaboos" in names(art, "person")


def test_multiword_titles_keep_their_of(read) -> None:  # type: ignore[no-untyped-def]
    art = read("US Secretary of State Mary Jones arrived in Lima.")
    jones = person(art, "Mary Jones")
    assert jones.roles == ["secretary of state"]
    assert jones.role_of == "United States of America"


def test_different_titles_keep_namesakes_apart(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Jordan's Crown Prince Hassan bin Talal met King Talal in Amman.",
               "Crown Prince Hassan later flew to Cairo.")
    people = {e.name: [m.text for m in e.mentions] for e in art.entities if e.kind == "person"}
    assert "Talal" in people and "Hassan bin Talal" in people
    assert "Talal" not in people["Hassan bin Talal"]
    assert "Hassan" in people["Hassan bin Talal"]


def test_an_organization_that_names_a_state_is_kept(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The Kenyan Foreign Ministry said in a statement that Kenya Airways would resume flights.")
    orgs = names(art, "organization")
    assert "Kenya Airways" in orgs
    assert "Kenya" in names(art, "state")


def test_a_bare_title_is_not_an_organization(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Secretary of State Mary Jones met the UN envoy in Geneva.")
    assert "State" not in names(art, "organization")


def test_a_venue_named_like_a_person_is_a_place(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Ghanaian President John Mahama received Togolese President Faure Gnassingbe at State House "
               "in Accra on Monday.", "The two leaders later toured Jubilee House together.")
    assert "House" not in names(art, "person")
    assert {"John Mahama", "Faure Gnassingbe"} <= names(art, "person")
    assert "State House" in names(art, "place")


def test_an_adjective_of_origin_is_not_an_organization(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Tigrayan forces withdrew from the town on Monday, and Kurdish officials welcomed the move.",
               "Tigrayan rebels had held the area for months.")
    assert not {"Tigrayan", "Kurdish"} & names(art, "organization")


def test_a_state_demonym_is_the_state_not_an_organization(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Somali troops and Ethiopian officers met in Baidoa on Monday.")
    assert {"Somalia", "Ethiopia"} <= names(art, "state")
    assert not {"Somali", "Ethiopian"} & names(art, "organization")


def test_a_lone_name_the_model_mislabels_is_still_the_person(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Kenyan President William Ruto hosted Ethiopian Prime Minister Abiy Ahmed on Monday.",
               "The accord was signed by Ruto and Abiy in Nairobi on Monday.")
    assert [m.text for m in person(art, "Abiy Ahmed").mentions][-1] == "Abiy"
    assert [m.text for m in person(art, "William Ruto").mentions][-1] == "Ruto"


def test_two_names_the_model_ran_together_are_two_people(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Kyrgyz President Sadyr Japarov hosted Tajik President Emomali Rahmon on Thursday.",
               "The treaty was signed by Sadyr Japarov and Emomali Rahmon in Bishkek.",
               "Uzbek President Shavkat Mirziyoyev is expected to join Japarov and Rahmon in Khujand later this month.")
    assert {"Sadyr Japarov", "Emomali Rahmon", "Shavkat Mirziyoyev"} == names(art, "person")
    assert not names(art, "organization")
    assert "Khujand" in names(art, "place")


def test_an_untagged_given_name_before_a_person_is_part_of_the_name(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Nigerian President Bola Tinubu met Chadian President Mahamat Idriss Deby in Abuja on Friday.")
    assert {"Bola Tinubu", "Mahamat Idriss Deby"} == names(art, "person")


def test_an_acronym_in_brackets_names_the_same_body(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Police blamed the Islamic Movement of Somalia (IMS) for the blast.",
               "The IMS has not commented.")
    [org] = [e for e in art.entities if e.kind == "organization"]
    assert org.name == "Islamic Movement of Somalia"
    assert org.surface_forms() == ["Islamic Movement of Somalia", "IMS"]


def test_buildings_and_landforms_the_model_calls_bodies_are_places(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Anthony Albanese met Prabowo Subianto at Parliament House in Canberra on Tuesday.",
               "They pledged to protect the Amazon rainforest and the port of Lamu.")
    assert {"Parliament House", "Amazon", "Lamu"} <= names(art, "place")
    assert not {"Parliament House", "Amazon", "Lamu"} & names(art, "organization")


def test_a_group_named_like_a_person_before_a_group_noun_is_an_organization(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Suicide bombers attacked a market in Konduga on Saturday, killing twelve people.",
               "Boko Haram jihadists have waged an insurgency in the region since 2009.")
    assert "Boko Haram" in names(art, "organization")
    assert "Boko Haram" not in names(art, "person")


def test_a_capital_addressed_by_a_government_is_its_state(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Manila accused Beijing of dangerous manoeuvres, and Lima pressed Caracas to hold a fair vote.")
    assert {"Philippines", "China", "Peru", "Venezuela"} <= names(art, "state")
    assert not {"Beijing", "Caracas"} & names(art, "place")


def test_a_lowercase_description_is_not_an_organization(read) -> None:  # type: ignore[no-untyped-def]
    art = read("An airstrike killed three people in Tyre on Tuesday, Lebanon's health ministry said.",
               "The ministry asked the UN Security Council to act.")
    orgs = names(art, "organization")
    assert "health ministry" not in orgs
    assert "UN Security Council" in orgs


def test_a_groups_name_cut_in_two_is_one_name(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Islamic State claimed responsibility for the bombing in Kabul, which killed six people.",
               "The Taliban said its forces had killed ten Islamic State fighters in Kunar province.")
    assert "Islamic State" in names(art, "organization")
    assert "Islamic" not in names(art, "organization")


def test_a_proper_noun_after_in_is_a_place_whatever_the_model_said(read) -> None:  # type: ignore[no-untyped-def]
    art = read("A roadside bomb struck a military vehicle in Kidal on Monday.",
               "Russian drones hit an apartment block in Odesa overnight.")
    assert {"Kidal", "Odesa"} <= names(art, "place")


def test_a_regnal_number_is_part_of_the_name(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Palestinian President Mahmoud Abbas met Jordan's King Abdullah II in Amman on Sunday.",
               "Abdullah said the talks were useful.")
    assert "Abdullah II" in names(art, "person")
    assert [m.text for m in person(art, "Abdullah II").mentions] == ["Abdullah II", "Abdullah"]


def test_a_lowercase_building_word_is_no_part_of_a_sites_name(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Sultan Haitham bin Tarik received the delegation at the Al Alam palace in Muscat on Monday.",
               "Ships were turned away from the Hodeidah port after the Hodeidah talks failed.")
    places = names(art, "place")
    assert "Al Alam" in places and "Hodeidah" in places
    assert not {"Al Alam palace", "Hodeidah port"} & places


def test_a_name_used_for_a_group_is_the_group_throughout(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Boko Haram has waged an insurgency since 2009.",
               "Boko Haram fighters attacked Konduga on Sunday, killing six people.")
    assert "Boko Haram" in names(art, "organization")
    assert "Boko Haram" not in names(art, "person")


def test_a_platform_one_writes_on_is_an_organization(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Colombian President Gustavo Petro wrote on Twitter that the talks had failed.")
    assert "Twitter" in names(art, "organization")
    assert "Twitter" not in names(art, "person")


def test_a_coalition_named_by_its_leader_is_an_organization(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The Saudi-led coalition in Yemen said it had intercepted a drone over Jazan.")
    assert "Saudi-led coalition" in names(art, "organization")
    assert "Saudi Arabia" in names(art, "state")


def test_a_name_defined_by_its_acronym_is_one_body(read) -> None:  # type: ignore[no-untyped-def]
    art = read("A bomb killed nine soldiers in Gao on Sunday.",
               "Jamaat Nusrat al-Islam wal-Muslimin (JNIM) claimed the attack, and JNIM said more would follow.",
               "Islamabad blamed the Pakistani Taliban, known as the Tehreek-e-Taliban Pakistan (TTP).")
    orgs = {e.name: e.surface_forms() for e in art.entities if e.kind == "organization"}
    assert orgs["Jamaat Nusrat al-Islam wal-Muslimin"] == ["Jamaat Nusrat al-Islam wal-Muslimin", "JNIM"]
    assert "TTP" in orgs["Tehreek-e-Taliban Pakistan"]
    assert not any(e.kind == "person" and "Nusrat" in e.name for e in art.entities)


def test_descriptive_buildings_and_ministries(read) -> None:  # type: ignore[no-untyped-def]
    art = read("The two leaders met at the Presidential Palace in Accra on Monday.",
               "Pakistan's Foreign Office denied the report.")
    assert "Presidential Palace" not in names(art, "place")
    assert "Foreign Office" in names(art, "organization")
    assert "Foreign Office" not in names(art, "place")


def test_a_name_after_a_title_may_start_with_a_function_word(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Vietnamese President To Lam received the delegation in Hanoi on Monday.")
    lam = person(art, "To Lam")
    assert lam.role_of == "Vietnam"


def test_a_site_named_two_ways_is_one_place_and_a_description_is_none(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Sultan Haitham bin Tarik received the delegation at the Al Alam palace in Muscat on Monday.",
               "Talks at Al Alam Palace lasted three hours, and the kingdom's officials were upbeat.")
    places = names(art, "place")
    assert "Al Alam Palace" in places and "Al Alam" not in places
    assert "kingdom" not in places


def test_military_ranks_are_roles_and_a_possessive_state_stays_a_state(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Burkina Faso's junta leader Captain Ibrahim Traore met Malian leader Assimi Goita in Bamako.",
               "Brigadier General Amadou Sow and Captain Ibrahim Traore later inspected troops.")
    assert {"Ibrahim Traore", "Assimi Goita", "Amadou Sow"} <= names(art, "person")
    assert not any(n.startswith(("Captain", "Brigadier")) for n in names(art, "person"))
    assert "Burkina Faso" in names(art, "state") and "Burkina Faso" not in names(art, "person")


def test_an_acronym_definition_reads_names_with_apostrophes(read) -> None:  # type: ignore[no-untyped-def]
    art = read("Suspected jihadists attacked a village near Djibo on Sunday.",
               "The Jama'at Nusrat al-Islam wal-Muslimin (JNIM) is active in the area.")
    assert "Jama'at Nusrat al-Islam wal-Muslimin" in names(art, "organization")
    assert "Djibo" in names(art, "place") and "Djibo" not in names(art, "organization")
