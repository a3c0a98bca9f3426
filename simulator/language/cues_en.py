"""Hand-written cue patterns (English), matched on NORMALISED text.

They no longer decide anything on their own: each match is one feature (`cue:<intent>`) beside
the words and character n-grams, and the trained classifier weighs it like any other (see
features.py). They carry what a few hundred examples cannot teach reliably (fixed formulas,
keigo set phrases); a pattern that misleads simply earns a low weight.
"""

from __future__ import annotations

_FEEL = r"(?:worr|anx|frustrat|upset|stress|disappoint|concern|nervous|difficult|hard|annoy|confus|scar|uneas|inconvenien)"

CUES: dict[str, list[str]] = {
    "acknowledges_feeling": [
        r"\byou must (?:have been|be|feel|have felt) (?:so |really |very |quite )?(?:worried|anxious|frustrated|upset"
        r"|concerned|disappointed|stressed|nervous|uneasy|annoyed|confused|wondering)",
        r"\b(?:that|this|it) must (?:have been|be) (?:so |really |very |quite )?(?:worrying|stressful|frustrating"
        r"|upsetting|difficult|hard|disappointing|annoying|confusing|worrisome|a worry|unsettling|inconvenient)",
        r"\bi can (?:imagine|see|hear|understand) (?:how|that|why|you)[^.!?]{0,40}?" + _FEEL,
        r"\bno wonder you(?:'re| are| were)",
        r"\bi can (?:hear|tell|see) (?:that )?you(?:'re| are| were|'ve been| have been)\b",
        r"\b(?:so|really|very) (?:worrying|stressful|frustrating|upsetting)\b",
        r"\byou(?:'ve| have) been (?:worried|anxious|waiting so long|so patient)",
        r"\bi(?:'m| am) (?:so |really )?sorry (?:you(?:'ve| have)? (?:had|been)|to hear)",
        r"\bwhat a (?:worry|hassle|shame)\b",
        r"\b(?:looking forward to it|been looking forward)",
    ],
    "restates_situation": [
        r"\bso (?:it|the [a-z]+|your [a-z]+|you)\b[^.!?]{0,40}?\b(?:never|didn't|did not|hasn't|has not|haven't"
        r"|have not|still|wasn't|was not|hadn't|had not)\b[^.!?,]{0,30}",
        r"\b(?:it|the [a-z]+|your [a-z]+) (?:never|still hasn't|still has not|hasn't|has not|didn't|did not) "
        r"(?:arrived|arrive|come|came|show up|shown up|been sent|been delivered|been shipped|reached|reach)\b",
        r"\byou (?:haven't|have not|never|didn't|did not) (?:heard|received|got|get|hear|receive)\b",
    ],
    "rote_empathy": [
        r"\bi (?:completely |totally |fully |really )?understand (?:how you feel|your (?:frustration|feelings?|concerns?))",
        r"\bi know how you feel\b", r"\bi hear you\b", r"\bi feel your pain\b",
        r"\bi understand (?:that|this) (?:is|must be) frustrating\b",
    ],
    "apologises": [r"\bsorry\b", r"\bapologi[sz](?:e|es|ed|ing)\b", r"\bapolog(?:y|ies)\b"],
    "shares_good_news": [
        r"\bgood news\b", r"\brest assured\b", r"\bthat'?s a relief\b", r"\bsuccessfully\b", r"\ball set\b",
        # not "worried whether it went through": a doubt, not news
        r"(?<!whether )(?<!if )\b(?:it|your [a-z]+|the [a-z]+) (?:did go|went|has gone|has been|was|is) (?:through|received|registered"
        r"|confirmed|accepted|approved|processed)\b",
        r"\bnothing to worry about\b",
    ],
    "argues_back": [
        r"\bbut you said\b", r"\byou (?:should have|didn't|did not|entered|chose|picked|forgot)\b",
        r"\bas i (?:already )?(?:said|told you|explained|mentioned)\b", r"\byour (?:own )?(?:fault|mistake)\b",
    ],
    "takes_ownership": [
        r"\bi(?:'ll| will| am going to|'m going to| can| shall)(?: personally)? (?:check|look into|arrange|take care of"
        r"|handle|sort|make sure|follow up|contact|chase|track|fix|ship|send|get (?:it|this|that|them)|call the|find out)\b",
        r"\blet me (?:personally )?(?:check|look|arrange|see what|find out|take care|handle|contact|call the|sort|fix|make sure)",
        r"\b(?:our|my) (?:mistake|fault|error|oversight)\b", r"\bi take (?:full )?responsibility\b",
        r"\b(?:we|i) (?:made a mistake|dropped the ball|slipped up)\b", r"\bi(?:'m| am) responsible\b",
    ],
    "hides_behind_policy": [
        r"\bpolic(?:y|ies)\b", r"\brules?\b", r"\bregulations?\b",
        r"\b(?:procedure|protocol)s? (?:says?|is|are|requires?|doesn't|does not)\b",
        r"\b(?:not|aren't|isn't) (?:allowed|permitted|authori[sz]ed) to\b", r"\bi(?:'m| am) not (?:allowed|permitted|authori[sz]ed)",
    ],
    "blames_others": [
        r"\b(?:courier|carrier|delivery company|shipping company|driver|post office|warehouse|system|colleague"
        r"|other department|computer)(?:'s)? (?:fault|mistake|error|problem|glitch)\b",
        r"\b(?:it'?s|that'?s|it was|that was) (?:the|a) (?:system|courier|carrier|computer) (?:error|glitch|issue|problem|fault)",
        r"\bthe system (?:failed|messed up|had a glitch|made an error|didn't|did not|lost)\b",
        r"\b(?:my|a|another) colleague (?:made|forgot|messed|didn't|did not|failed)\b",
        r"\bthe (?:courier|carrier|driver|warehouse) (?:messed up|lost|forgot|failed|didn't|did not)\b",
        r"\bnot our fault\b", r"\bblame (?:the|it on)\b",
    ],
    "asks_occasion": [
        r"\bspecial (?:occasion|day|event|date)\b", r"\bwhat (?:it'?s|is it|it is|they'?re|are they|this is) for\b",
        r"\bgift\b(?! (?:box|boxes|set|sets|wrap|wrapping|card|voucher))", r"\b(?:a|the|birthday|christmas|wedding) present\b|\bpresent for\b", r"\bfor an? (?:occasion|event|celebration)\b", r"\bwhat (?:the |this |your )?[a-z]* ?(?:is|was|'s) for\b",
        r"\b(?:does|do) the (?:date|day|timing) matter\b", r"\bis (?:it|this) for (?:a|an|something|someone|anything)\b", r"\banything special\b",
        r"\bany (?:particular|special) (?:reason|occasion|event)\b", r"\bimportant (?:day|date|event|occasion)\b",
        r"\bwhat(?:'s| is) the occasion\b", r"\bis it for (?:a|an|something)\b",
    ],
    "asks_deadline": [
        r"\bwhen do you need (?:it|them|this|the [a-z]+)\b", r"\bby when\b", r"\bwhen (?:would|will) you need\b",
        r"\bneed (?:it|them) by\b", r"\bin a (?:bit of a |real )?(?:hurry|rush)\b", r"\burgent(?:ly)?\b", r"\bdeadline\b",
        r"\bwhen (?:would|do) you (?:like|want|prefer) (?:it|them|delivery)", r"\bpreferred (?:delivery )?(?:date|time)\b",
        r"\bhow soon\b",
    ],
    "asks_usage": [
        r"\b(?:do|will|would) you (?:use|need) (?:it|this|the phone|your phone|them)\b[^.?!]{0,20}?(?:every ?day|daily"
        r"|for work|often|a lot)",
        r"\bhow (?:do|will|often do|would) you (?:use|plan to use)\b", r"\bwhat (?:do|will|would) you (?:use|need) (?:it|them|this) for\b",
        r"\b(?:every ?day|daily) use\b",
    ],
    "asks_availability": [
        r"\bwill (?:you|someone|anyone|somebody) be (?:at home|home|in|around|available|there|away)\b",
        r"\b(?:are|will) you (?:be )?(?:away|out of town|travell?ing)\b", r"\bwhen (?:are|will) you (?:be )?(?:home|available|in)\b",
        r"\bconvenient (?:time|day|date|for you)\b", r"\bable to (?:receive|accept|sign for|pick up)\b",
        r"\b(?:suit|suits|work for|works for|works best for|work best for) you\b",
    ],
    "asks_recipient": [
        r"\bwho(?:'s| is| are) (?:it|they|this|the (?:gift|present|parcel|order)) for\b", r"\bfor yourself\b",
        r"\bthe recipient\b", r"\bwho (?:will|would) (?:be receiving|receive)\b", r"\bfor someone (?:else|special)\b",
    ],
    "asks_identification": [
        r"\b(?:your|the) (?:full )?name\b", r"\b(?:order|application|confirmation|booking) (?:number|no\.?|id)\b", r"\b(?:phone|telephone|contact|mobile) number\b",
        r"\b(?:order|purchase) date\b", r"\bname,? please\b", r"\bwhen was (?:that|it|this|the order) (?:ordered|placed|bought)\b", r"\bwhen did you (?:order|place (?:the|your) order|purchase|buy)\b",
        r"\bdate of (?:the |your )?order\b", r"\b(?:tracking|reference|account|customer|membership) number\b",
        r"\b(?:your|the) (?:postcode|post code|zip code|address|date of birth|email address)\b",
    ],
    "asks_details": [
        r"\bhow many\b", r"\bwhich (?:variety|kind|type|size|colou?r|one|ones|apples?|item|product)\b",
        r"\bwhat (?:variety|kind|type|size|colou?r|quantity)\b", r"\bquantity\b", r"\bvariet(?:y|ies)\b",
        r"\b(?:together with|separately|in the same (?:box|parcel|shipment)|same shipment|combine)\b", r"\bexisting order\b",
    ],
    "asks_open_question": [
        r"\banything else\b", r"\b(?:could|can|would) you tell me (?:more|a bit more|a little more|what happened)\b",
        r"\btell me (?:more|a bit more|a little more|what happened)\b", r"\bwhat (?:can i do|happened|seems to be)\b",
        r"\bhow (?:can|may) i help\b", r"\bis there (?:anything|something) (?:else|i can)\b", r"\bwhat (?:worries|concerns) you\b",
        r"\bif (?:anything|something)(?:'s| is) (?:worrying|bothering|troubling) you\b",
    ],
    "confirms_back": [
        r"\bso you(?:'d| would) like\b", r"\bso you(?:'re| are) (?:saying|looking|hoping)\b", r"\bso (?:what )?you need\b",
        r"\bif i understand (?:you )?(?:correctly|right)\b", r"\bjust to (?:confirm|make sure|check|clarify)\b",
        r"\blet me (?:confirm|repeat|make sure i)\b", r"\bis that (?:right|correct)\b", r"\bdid i get that right\b",
        r"\bso you want\b",
    ],
    "offers_faster_option": [
        r"\b(?:ship|send|dispatch|get) (?:it |them |this |that |your [a-z]+ |the [a-z]+ )?(?:out )?(?:today|this afternoon)\b",
        r"\bsame[- ]day\b",
        r"\bexpress(?= (?:shipping|delivery|post|mail|service|option|courier|parcel))|\b(?:by|via|use|with) express\b",
        r"\bexpedite[ds]?\b", r"\bpriority (?:shipping|delivery|mail)\b",
        r"\bovernight (?:shipping|delivery)\b", r"\bnext[- ]day (?:delivery|shipping)\b",
        r"\bfaster (?:shipping|delivery|option|way)\b", r"\brush (?:it|the order|delivery)\b",
        r"\bbefore the (?:[0-9:]+ )?cut-?off\b",
    ],
    "offers_alternative": [
        r"\bchange (?:the |your )?(?:delivery )?(?:date|time|address|day)\b", r"\bre-?deliver(?:y|ed)?\b",
        r"\bpick (?:it |them )?up\b", r"\bpickup\b", r"\bcollect (?:it|them) (?:from|at)\b",
        r"\b(?:a |an )?(?:different|another|alternative) (?:address|date|day|time|delivery|option)\b",
        r"\bhold (?:it|the parcel|the package) at\b", r"\bredirect\b|\bdivert\b",
        r"\bdeliver (?:it |them )?to (?:your|a) (?:office|work|workplace|neighbou?r)\b", r"\breschedul(?:e|ing)\b", r"\bin the meantime\b", r"\binterim\b",
    ],
    "interim_update": [
        r"\bkeep you (?:updated|posted|informed)\b", r"\bupdate you\b", r"\b(?:send|give) you (?:an )?updates?\b", r"\bprogress (?:report|update)\b",
        r"\beven (?:if|when) (?:there(?:'s| is) )?no (?:news|update|progress)\b",
    ],
    "asks_to_hold": [
        r"\bmay i (?:put you on hold|place you on hold|ask you to (?:hold|wait))\b",
        r"\b(?:can|could|would) (?:i put you on hold|you (?:hold|wait|bear with me))\b",
        r"\bwould you mind (?:holding|waiting)\b",
        r"\b(?:is it|would it be) (?:ok|okay|alright|all right) (?:if i put you|to put you|if you hold|to hold)",
    ],
    "thanks_for_waiting": [
        r"\bthank(?:s| you) (?:so much |very much )?for (?:waiting|holding|your patience|bearing with|being patient)",
        r"\bsorry to (?:keep|have kept) you waiting\b",
    ],
    "offers_callback": [
        r"\bcall you back\b", r"\b(?:i'?ll|i will|we'?ll|we will|let me|can i|could i|may i) (?:call|ring|phone|get back to"
        r"|contact|email|e-mail|reach) you\b", r"\bcall-?back\b", r"\bget back to you\b", r"\breturn your call\b",
    ],
    "greets": [
        r"\b(?:hello|hi|good (?:morning|afternoon|evening))\b", r"\bthank(?:s| you) for (?:calling|contacting|reaching out|getting in touch)\b",
        r"\bmy name is\b", r"\bthis is [a-z]+ (?:from|at|speaking)\b",
    ],
    "thanks": [r"\bthank(?:s| you)\b", r"\b(?:i|we) appreciate\b", r"\bmuch appreciated\b"],
    "offers_hang_up_first": [
        r"\bmay i (?:hang up|end the call|go ahead and hang up)\b",
        r"\b(?:would it be|is it) (?:ok|okay|alright|all right) (?:if i|for me to) (?:hang up|end the call)",
        r"\bshall i (?:hang up|end the call)\b", r"\bmind if i hang up\b", r"\bhang up first\b",
    ],
    "closes": [
        r"\bgood-?bye\b|\bbye\b", r"\bhave a (?:nice|good|great|lovely|wonderful) (?:day|evening|afternoon|weekend|one)\b",
        r"\btake care\b", r"\b(?:talk|speak) (?:to you )?soon\b", r"\bthank(?:s| you) (?:so much |very much )?for your time\b", r"\b(?:kind|best) regards\b",
    ],
}
