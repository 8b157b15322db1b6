"""Backend of the influencer-marketing platform."""
