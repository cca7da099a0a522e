from yiwang.cases.tests.conftest import applicant, food_item, office, other_applicant  # noqa: F401
