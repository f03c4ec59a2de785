"""The ai_services section of a profile: managed AI service chains (A1 so far).

Each chain is an S3 upload -> EventBridge -> Step Functions (AWS SDK service integrations) -> result JSON
in S3, switched on per profile. The limits below are the ones AWS documents for the calls the chains make;
an upload outside them ends in the chain's failure state with an error record, never a silent drop.

Sources: botocore's service models (`transcribe` MediaFormat and LanguageCode enums, TranscriptionJobName
pattern; `comprehend` LanguageCode enum and DetectSentiment/DetectKeyPhrases Text sizes) and the
Amazon Transcribe Developer Guide ("Data input and output": batch media up to 4 hours and 2 GB).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config.base import StrictModel

# botocore `transcribe` service model, MediaFormat enum (StartTranscriptionJob.MediaFormat).
TRANSCRIBE_MEDIA_FORMATS = ("mp3", "mp4", "wav", "flac", "ogg", "amr", "webm", "m4a")
MediaFormat = Literal["mp3", "mp4", "wav", "flac", "ogg", "amr", "webm", "m4a"]

# Amazon Transcribe Developer Guide, "Data input and output": batch jobs take media files of up to
# 4 hours (14,400 s) and 2 GB.
TRANSCRIBE_MAX_MEDIA_MB = 2048

# botocore `comprehend` service model, LanguageCode enum: the languages DetectSentiment accepts (the
# Comprehend Developer Guide's "Supported languages" lists the same twelve for sentiment and key phrases).
COMPREHEND_LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW")

# botocore `comprehend`: DetectSentiment Text "The maximum string size is 5 KB"; DetectKeyPhrases Text
# "must contain less than 100 KB of UTF-8 encoded characters". A UTF-8 character takes at most 4 bytes,
# so these character counts can never exceed the byte limits, whatever the language.
SENTIMENT_MAX_BYTES = 5000
KEY_PHRASES_MAX_BYTES = 100_000
UTF8_MAX_BYTES_PER_CHARACTER = 4

# Transcribe language codes (botocore `transcribe` LanguageCode enum) whose transcripts Comprehend can
# analyse, mapped to Comprehend's code.
TRANSCRIBE_TO_COMPREHEND = {
    "ar-AE": "ar",
    "ar-SA": "ar",
    "de-CH": "de",
    "de-DE": "de",
    "en-AB": "en",
    "en-AU": "en",
    "en-GB": "en",
    "en-IE": "en",
    "en-IN": "en",
    "en-NZ": "en",
    "en-US": "en",
    "en-WL": "en",
    "en-ZA": "en",
    "es-ES": "es",
    "es-MX": "es",
    "es-US": "es",
    "fr-CA": "fr",
    "fr-FR": "fr",
    "hi-IN": "hi",
    "it-IT": "it",
    "ja-JP": "ja",
    "ko-KR": "ko",
    "pt-BR": "pt",
    "pt-PT": "pt",
    "zh-CN": "zh",
    "zh-TW": "zh-TW",
}


class SentimentConfig(StrictModel):
    """A1 caller sentiment: audio upload -> Transcribe -> Comprehend sentiment and key phrases -> result JSON."""

    enabled: bool = Field(
        default=False,
        description=(
            "A1: deploy the caller-sentiment chain (input and output buckets, an EventBridge rule on uploads, a "
            "Step Functions state machine calling Transcribe and Comprehend through AWS SDK integrations)."
        ),
    )
    language_code: str = Field(
        default="en-US",
        description=(
            "A1: language of the calls, a Transcribe language code (botocore `transcribe` LanguageCode) whose "
            "language Comprehend's DetectSentiment supports (ar, de, en, es, fr, hi, it, ja, ko, pt, zh, zh-TW)."
        ),
    )
    media_formats: list[MediaFormat] = Field(
        default_factory=lambda: ["mp3", "wav", "flac", "m4a"],
        min_length=1,
        description=(
            "A1: file extensions accepted as media formats; Transcribe's MediaFormat values are mp3, mp4, wav, "
            "flac, ogg, amr, webm, m4a (botocore `transcribe`). Another extension ends in the failure state."
        ),
    )
    max_media_mb: int = Field(
        default=500,
        gt=0,
        le=TRANSCRIBE_MAX_MEDIA_MB,
        description=(
            "A1: largest upload accepted, in MiB; Transcribe batch jobs take at most 2 GB (Transcribe Developer "
            "Guide, 'Data input and output'). Empty or larger uploads end in the failure state."
        ),
    )
    poll_seconds: int = Field(
        default=15,
        ge=5,
        le=300,
        description="A1: seconds the state machine waits between two GetTranscriptionJob calls.",
    )
    max_polls: int = Field(
        default=240,
        ge=1,
        le=2000,
        description=(
            "A1: GetTranscriptionJob calls before the chain gives up on a job (poll_seconds x max_polls is the "
            "job's time budget; Transcribe takes media up to 4 hours, transcribed faster than real time)."
        ),
    )
    sentiment_characters: int = Field(
        default=SENTIMENT_MAX_BYTES // UTF8_MAX_BYTES_PER_CHARACTER,
        ge=100,
        le=SENTIMENT_MAX_BYTES // UTF8_MAX_BYTES_PER_CHARACTER,
        description=(
            "A1: characters of the transcript's start sent to DetectSentiment, whose text limit is 5,000 bytes "
            "(botocore `comprehend`); at most 1,250, which no UTF-8 text can make larger than 5,000 bytes. The "
            "result records whether the transcript was truncated."
        ),
    )
    key_phrase_characters: int = Field(
        default=KEY_PHRASES_MAX_BYTES // UTF8_MAX_BYTES_PER_CHARACTER,
        ge=100,
        le=KEY_PHRASES_MAX_BYTES // UTF8_MAX_BYTES_PER_CHARACTER,
        description=(
            "A1: characters of the transcript's start sent to DetectKeyPhrases (less than 100 KB of UTF-8, "
            "botocore `comprehend`); at most 25,000."
        ),
    )

    @model_validator(mode="after")
    def _comprehend_reads_the_language(self) -> SentimentConfig:
        if self.language_code not in TRANSCRIBE_TO_COMPREHEND:
            supported = ", ".join(sorted(TRANSCRIBE_TO_COMPREHEND))
            raise ValueError(
                f"ai_services.sentiment.language_code {self.language_code!r} is not a Transcribe language whose "
                f"transcript Comprehend's DetectSentiment can read; use one of {supported}"
            )
        return self

    @property
    def comprehend_language(self) -> str:
        return TRANSCRIBE_TO_COMPREHEND[self.language_code]


class AiServicesConfig(StrictModel):
    """Managed AI service chains, each behind its own switch (A1 caller sentiment so far)."""

    sentiment: SentimentConfig = Field(
        default_factory=SentimentConfig, description="A1: caller sentiment (Transcribe, Comprehend)."
    )

    @property
    def enabled(self) -> bool:
        return self.sentiment.enabled
