"""Scorers: ``(prompts, completions) -> tensor[n]`` reward functions for RLHF and evaluation.

Every scorer returns a float32 tensor of shape ``[n]`` where **higher is better**, validates
its inputs the same way (:class:`Scorer`), and loads any model once per process. Build one
by class or by name with :func:`get_scorer` (the keys YAML configs use):

=====================  ===============================  ==========================================
key                    class                            score
=====================  ===============================  ==========================================
``length``             :class:`LengthScorer`            −words (or chars/tokens): conciseness
``reward_model``       :class:`RewardModelScorer`       a sequence-classification RM's logit
``sentiment``          :class:`SentimentScorer`         VADER compound, [−1, 1]
``afinn``              :class:`AfinnSentimentScorer`    AFINN word valences, squashed to [−1, 1]
``relevance``          :class:`RelevanceScorer`         MiniLM cosine(prompt, completion), [−1, 1]
``lexical_relevance``  :class:`LexicalRelevanceScorer`  TF-IDF cosine(prompt, completion), [0, 1]
``readability``        :class:`ReadabilityScorer`       Flesch reading ease (textstat)
``profanity``          :class:`ProfanityScorer`         −lexicon hits (better-profanity word list)
``style``              :class:`StyleScorer`             log-odds of one of ten chat styles
=====================  ===============================  ==========================================
"""

from .afinn_sentiment import AfinnSentimentScorer
from .base import Scorer, check_texts
from .length import LengthScorer
from .lexical_relevance import LexicalRelevanceScorer, lexical_terms
from .profanity import ProfanityScorer, profanity_words
from .readability import ReadabilityScorer
from .registry import available_scorers, get_scorer, register_scorer
from .relevance import RelevanceScorer, minilm_path
from .reward_model import RewardModelScorer
from .sentiment import SentimentScorer
from .style import CROSS_STYLE_WEIGHT, PROBE_C, STYLES, StyleScorer, load_style_exemplars

__all__ = [
    "CROSS_STYLE_WEIGHT",
    "PROBE_C",
    "STYLES",
    "AfinnSentimentScorer",
    "LengthScorer",
    "LexicalRelevanceScorer",
    "ProfanityScorer",
    "ReadabilityScorer",
    "RelevanceScorer",
    "RewardModelScorer",
    "Scorer",
    "SentimentScorer",
    "StyleScorer",
    "available_scorers",
    "check_texts",
    "get_scorer",
    "lexical_terms",
    "load_style_exemplars",
    "minilm_path",
    "profanity_words",
    "register_scorer",
]
