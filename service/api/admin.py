"""Administration routes (admin token): system configuration and profiles by email status."""

import re
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody, PathParameter, QueryParameter

from service.api.onboarding import Profile
from service.api.shapes import Instant, Message, Shape, documented, errors, json_response
from service.auth import admin_only
from service.database import connection, queries
from service.errors import InvalidInput
from service.system_config import DEFAULTS, SETTINGS, ValueType, checked_setting, parse_value

# `(?!\n)`: Python's `$` also matches before a final line break, JavaScript's (JSON Schema's) does not.
NAME_RULE = r"^[a-z][a-z0-9_]*$(?!\n)"
NAME_PATTERN = re.compile(NAME_RULE)
CATEGORY_MAX = 50
KEY_MAX = 100
SNAKE_CASE = "lower_snake_case, starting with a letter"
Category = Annotated[str, PathParameter(pattern=NAME_RULE, max_length=CATEGORY_MAX, description=SNAKE_CASE)]
Key = Annotated[str, PathParameter(pattern=NAME_RULE, max_length=KEY_MAX, description=SNAKE_CASE)]

# A JSON array may hold anything (items: {} says so, for clients that need an items schema).
ConfigValue = (
    str | int | float | bool | Annotated[list[Any], msgspec.Meta(extra_json_schema={"items": {}})] | dict[str, Any]
)
EmailStatus = Literal["scheduled", "sending", "sent", "failed"]


Description = Annotated[str, msgspec.Meta(max_length=500)]
# The flag as a boolean, or as the strings the entries carry it in (the admin page posts entries back).
HotReloadFlag = bool | Literal["true", "false"]


class ConfigUpdate(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    value: ConfigValue
    value_type: ValueType
    description: Description | None = None
    is_hot_reloadable: HotReloadFlag | None = None


class ConfigPost(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """The admin page's add and edit body: a new entry, or an entry as listed with its value edited
    (its `id`, `createdAt` and `updatedAt` are accepted and ignored: category and key name it)."""

    category: Annotated[str, msgspec.Meta(max_length=CATEGORY_MAX, pattern=NAME_RULE, description=SNAKE_CASE)]
    key: Annotated[str, msgspec.Meta(max_length=KEY_MAX, pattern=NAME_RULE, description=SNAKE_CASE)]
    value: ConfigValue
    value_type: ValueType
    description: Description | None = None
    is_hot_reloadable: HotReloadFlag | None = None
    id: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    created_at: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    updated_at: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class ConfigEntry(Shape):
    id: UUID
    category: str
    key: str
    value: str
    value_type: ValueType
    description: str | None
    is_hot_reloadable: Literal["true", "false"]  # a string, as the old admin page compares it
    created_at: Instant
    updated_at: Instant


class ConfigListing(Shape):
    configs: list[ConfigEntry]
    configurations: dict[str, list[ConfigEntry]]
    categories: list[str]
    total_count: int


class DefaultsStored(Shape):
    success: bool
    message: str
    inserted: int


class ProfileList(Shape):
    profiles: list[Profile]


def checked_name(value: str, field: str, max_length: int) -> str:
    """A category, key or email type: lower_snake_case, starting with a letter."""
    if not NAME_PATTERN.fullmatch(value) or len(value) > max_length:
        raise InvalidInput(field, f"must be lower_snake_case, starting with a letter, at most {max_length} characters")
    return value


def stored_text(value: ConfigValue, value_type: str) -> str:
    """The text form a value is stored in; JSON values may be given as JSON."""
    if value_type == "json" and not isinstance(value, str):
        return msgspec.json.encode(value).decode()
    if isinstance(value, list | dict):
        raise InvalidInput("value", f"must be a string, number or boolean for valueType {value_type}")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def hot_reload_flag(flag: HotReloadFlag | None) -> bool | None:
    return flag if flag is None or isinstance(flag, bool) else flag == "true"


def checked_value(category: str, key: str, value: ConfigValue, value_type: str) -> str:
    """The text to store; InvalidInput when it does not parse as its type or the key has another type."""
    declared = DEFAULTS.get((category, key))
    if declared is not None and declared.value_type != value_type:
        raise InvalidInput("valueType", f"{category}.{key} is read as a {declared.value_type}")
    text = stored_text(value, value_type)
    try:
        if declared is not None:
            checked_setting(declared, text)
        else:
            parse_value(value_type, text)
    except ValueError as exc:
        raise InvalidInput("value", str(exc)) from None
    return text


async def store_entry(
    state: State,
    category: str,
    key: str,
    text: str,
    value_type: str,
    description: str | None,
    flag: HotReloadFlag | None,
    *,
    replace: bool,
) -> Response[bytes]:
    """Create or replace a checked entry (`replace`: its description too) and forget this process's cached value."""
    async with connection(state) as db:
        entry = await queries.upsert_config_entry(
            db,
            category=category,
            key=key,
            value=text,
            value_type=value_type,
            description=description,
            replace_description=replace,
            is_hot_reloadable=hot_reload_flag(flag),
        )
    state.config.forget(category, key)
    return json_response(entry)


class AdminController(Controller):
    path = "/api/admin"
    tags = ["administration"]  # noqa: RUF012 (Litestar reads these class attributes)
    guards = [admin_only]  # noqa: RUF012

    @get("/config", responses={**documented(200, ConfigListing, "Stored entries by category"), **errors(403)})
    async def list_config(self, state: State) -> Response[bytes]:
        """Every stored configuration entry, by category (keys not stored use their code defaults, see the README)."""
        async with connection(state) as db:
            return json_response(await queries.list_config_entries(db))

    @put(
        "/config/{category:str}/{key:str}",
        responses={**documented(200, ConfigEntry, "The stored entry"), **errors(400, 403, 413)},
    )
    async def put_config(
        self, state: State, category: Category, key: Key, data: JSONBody[ConfigUpdate]
    ) -> Response[bytes]:
        """Create or replace an entry; `value` must parse as `valueType`."""
        checked_name(category, "category", CATEGORY_MAX)
        checked_name(key, "key", KEY_MAX)
        text = checked_value(category, key, data.value, data.value_type)
        return await store_entry(
            state, category, key, text, data.value_type, data.description, data.is_hot_reloadable, replace=False
        )

    @post(
        "/config",
        status_code=200,
        responses={**documented(200, ConfigEntry, "The stored entry"), **errors(400, 403, 413)},
    )
    async def post_config(self, state: State, data: JSONBody[ConfigPost]) -> Response[bytes]:
        """Create or replace an entry (the admin page's add and edit); `value` must parse as `valueType`.

        The description is replaced too (blank or missing: none); a missing `isHotReloadable` keeps
        the stored flag.
        """
        category = checked_name(data.category, "category", CATEGORY_MAX)
        key = checked_name(data.key, "key", KEY_MAX)
        text = checked_value(category, key, data.value, data.value_type)
        description = (data.description or "").strip() or None
        return await store_entry(
            state, category, key, text, data.value_type, description, data.is_hot_reloadable, replace=True
        )

    @post(
        "/config/init",
        status_code=200,
        responses={**documented(200, DefaultsStored, "The defaults not stored before are stored"), **errors(403)},
    )
    async def init_config(self, state: State) -> DefaultsStored:
        """Store the code default of every setting the service reads that is not stored yet (no body).

        Stored entries are left as they are, so this can be run any number of times.
        """
        async with connection(state) as db:
            inserted = await queries.insert_missing_config_entries(
                db,
                categories=[s.category for s in SETTINGS],
                keys=[s.key for s in SETTINGS],
                config_values=[s.default for s in SETTINGS],
                value_types=[s.value_type for s in SETTINGS],
                descriptions=[s.description for s in SETTINGS],
            )
        return DefaultsStored(
            success=True, message=f"Stored {inserted} default configuration entries", inserted=inserted
        )

    @delete(
        "/config/{category:str}/{key:str}",
        status_code=200,
        responses={**documented(200, Message, "Deleted; the code default applies again"), **errors(400, 403, 404)},
    )
    async def delete_config(self, state: State, category: Category, key: Key) -> Message:
        """Remove an entry, so that its code default applies again."""
        checked_name(category, "category", CATEGORY_MAX)
        checked_name(key, "key", KEY_MAX)
        async with connection(state) as db:
            deleted = await queries.delete_config_entry(db, category=category, key=key)
        if deleted is None:
            raise NotFoundException(f"No configuration entry {category}.{key}")
        state.config.forget(category, key)
        return Message(message=f"Configuration entry {category}.{key} deleted")

    @get("/profiles", responses={**documented(200, ProfileList, "Matching profiles"), **errors(400, 403)})
    async def list_profiles(
        self,
        state: State,
        email_type: Annotated[
            str,
            QueryParameter(name="emailType", pattern=NAME_RULE, max_length=CATEGORY_MAX, description="e.g. welcome"),
        ],
        email_status: Annotated[EmailStatus | None, QueryParameter(name="emailStatus")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000, description="At most this many, newest first")] = 100,
    ) -> Response[bytes]:
        """Profiles whose email of `emailType` exists, or is in `emailStatus`, newest first."""
        checked_name(email_type, "emailType", CATEGORY_MAX)
        async with connection(state) as db:
            profiles = await queries.list_profiles_by_email_status(
                db, email_type=email_type, email_status=email_status, page_size=limit
            )
        return json_response(profiles)
