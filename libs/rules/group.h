// Placeholder: the rule group scheduler lands in a following commit.
#pragma once
