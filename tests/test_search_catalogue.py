"""The facts the search path keeps about every published case study survive being packed."""

from commons.domain.comparability import SchoolContext
from commons.search.catalogue import PublishedStudy, pack, unpack


def test_packing_the_facts_copies_them_exactly() -> None:
    context = SchoolContext(phase="primary", pupils=84, fsm_pct=27.0, setting="rural", region="North East",
                            governance="maintained", name="Eskdale Bridge", urn=990001, levels=(("fsm", "high"),))
    studies = {
        7: PublishedStudy(7, 990001, ("attendance", "disadvantage"), "moderate", 2021, 2023, ("visits",), context),
        9: PublishedStudy(9, 990002, (), "emerging", 2020, 2020, (), SchoolContext(phase=None)),
    }
    packed = unpack(pack(studies))
    assert packed == studies and list(packed) == [7, 9]
    assert all(packed[i] is not studies[i] for i in studies)  # copies, made after the originals
    assert packed[7].context.levels == (("fsm", "high"),) and packed[7].topics == ("attendance", "disadvantage")
