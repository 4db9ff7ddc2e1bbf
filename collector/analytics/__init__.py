"""Numbers a CX team reads: statistics, the emotion score, the step and funnel
rollups with their rebuild and verification, the curve, the funnel and the
answer listing.

May import sentiment, models and common.
"""
