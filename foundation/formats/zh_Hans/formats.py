# Django's zh_Hans formats group digits by four with an empty separator, so 12345 prints
# ungrouped. Simplified Chinese text (CLDR, and what readers see on mainland Chinese sites)
# groups by thousands with a comma: 12,345.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
