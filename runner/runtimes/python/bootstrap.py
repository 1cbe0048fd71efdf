"""Open Runtime's Python runtime client: one Lambda execution environment for a Python handler.

The runner starts it as `python3 -u bootstrap.py` in LAMBDA_TASK_ROOT with the Lambda environment.
It loads the handler named by _HANDLER, then loops over the Runtime API: GET the next event, call
handler(event, context), POST the result or the error. Everything a handler can observe (error types
and messages, error bodies, the context object, the log format) matches awslambdaric, the client
Lambda's managed Python runtimes use, so code behaves here as it does in the cloud.

Standard library only, Python 3.9+. The hot path is kept lean: one keep-alive connection, no
per-invoke imports, no per-invoke objects beyond the context.
"""

import decimal
import importlib
import io
import json
import logging
import os
import re
import select
import signal
import socket
import sys
import time
import traceback

RUNTIME_PATH = "/2018-06-01/runtime"
NEXT_PATH = RUNTIME_PATH + "/invocation/next"
INIT_ERROR_PATH = RUNTIME_PATH + "/init/error"
USER_AGENT_BYTES = b"open-runtime-python/%d.%d.%d" % sys.version_info[:3]
THIS_FILE = os.path.abspath(__file__)

# Lambda's X-Ray cause header is capped at 1 MiB by awslambdaric; locally nothing consumes it and
# HTTP servers commonly refuse headers over 16 KiB, so a big one is dropped rather than risking the
# whole error report.
XRAY_CAUSE_LIMIT = 8 * 1024

# The request id the root logger stamps on each line; "" outside an invocation, as in Lambda.
current_request_id = ""


class FaultException(Exception):
    """A failure that Lambda reports with its own `Runtime.*` error type rather than the exception's."""

    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"
    DEBUGGER_UNAVAILABLE = "Runtime.DebuggerUnavailable"

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


class RuntimeApiGone(Exception):
    """The runner refused a request for good or cannot be reached: the environment must end."""


# ---------------------------------------------------------------------------------------------
# Runtime API client: one persistent keep-alive connection, reopened when the runner closed it.
#
# HTTP/1.1 written and read by hand rather than with http.client: per request, http.client builds the head a header at
# a time, sends the head and the body in two writes, and parses the answer's headers with the email package, which cost
# several times the rest of an invoke here (and the runner a wake-up per write). Each invoke's answer is also pipelined
# with the next GET /next, as the project's Node client does: one write per invoke, and the runner sends the 202 and the
# next event together. What it reads is the Runtime API's answers: a status line, headers, and a body with a
# Content-Length, chunked, or up to the connection's end.

MAX_HEAD_BYTES = 64 * 1024
NEXT_DESCRIPTIONS = ("GET " + NEXT_PATH,)
READ_SIZE = 64 * 1024
# Characters a request id may carry in a path as they are; anything else is percent-encoded (the runner decodes it).
ID_SAFE = re.compile(r"[A-Za-z0-9._~:@!$&'()*+,;=-]*\Z")


class ConnectionBroken(Exception):
    """The connection ended, or carried something that is not an HTTP/1.1 answer: it is replaced once."""


class Response(object):
    __slots__ = ["status", "headers", "body"]

    def __init__(self, status, headers, body):
        self.status = status
        # Names in lower case; the first of repeated names.
        self.headers = headers
        self.body = body


def invocation_path(request_id, action):
    if not ID_SAFE.match(request_id):
        from urllib.parse import quote

        request_id = quote(request_id, safe="")
    return RUNTIME_PATH + "/invocation/" + request_id + "/" + action


def header_value(value):
    """A header value as bytes: line breaks (which would end the header) become spaces; beyond Latin-1, "?"."""
    if "\r" in value or "\n" in value:
        value = value.replace("\r", " ").replace("\n", " ")
    return value.encode("latin-1", "replace")


class RuntimeApi:
    def __init__(self, address, direct_socket=None):
        self.address = address
        self.direct_socket = direct_socket
        self.sock = None
        self.poller = None
        # Bytes read past the last answer parsed.
        self.buffer = b""
        self.host = ("localhost" if direct_socket else address).encode("latin-1", "replace")
        self.next_request = self.encode("GET", NEXT_PATH)

    def encode(self, method, path, body=None, headers=()):
        """One whole request; `headers`: (name, value) pairs besides Host, User-Agent and Content-Length."""
        head = [b"%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n" % (method.encode(), path.encode("ascii"), self.host, USER_AGENT_BYTES)]
        for name, value in headers:
            head.append(b"%s: %s\r\n" % (name, header_value(value)))
        if body is None:
            head.append(b"\r\n")
            return b"".join(head)
        head.append(b"Content-Length: %d\r\n\r\n" % len(body))
        head.append(body)
        return b"".join(head)

    def connect(self):
        if self.direct_socket:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.direct_socket)
            except OSError:
                sock.close()
                raise
        else:
            host, _, port = self.address.rpartition(":")
            sock = socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)))
            # Each write is a whole request (or two): nothing to wait for.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buffer = b""
        if hasattr(select, "poll"):
            self.poller = select.poll()
            self.poller.register(sock, select.POLLIN | select.POLLERR | select.POLLHUP)

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self.poller = None
        self.buffer = b""

    def was_closed(self):
        """True when the idle kept-alive socket is readable, i.e. the runner closed it (or broke protocol)."""
        try:
            if self.poller is not None:
                return bool(self.poller.poll(0))
            readable, _, _ = select.select([self.sock], [], [], 0)
            return bool(readable)
        except (OSError, ValueError):
            return True

    def exchange(self, requests, descriptions, on_answer=None):
        """Sends `requests` in one write and reads their answers in order: each but the last goes to on_answer as it is
        read, the last is returned. A connection that turns out to be closed is replaced once, and the requests not yet
        answered are sent again on the new one."""
        done = 0
        for attempt in (1, 2):
            try:
                if self.sock is not None and self.was_closed():
                    self.close()
                if self.sock is None:
                    self.connect()
                self.sock.sendall(requests[done] if len(requests) - done == 1 else b"".join(requests[done:]))
                while True:
                    response = self.read_response()
                    done += 1
                    if done == len(requests):
                        return response
                    on_answer(response)
            except (OSError, ConnectionBroken, ValueError) as error:
                self.close()
                if attempt == 2:
                    raise RuntimeApiGone(
                        "The Runtime API at %s could not be reached (%s failed: %s). "
                        "The runner has probably stopped; this environment ends here."
                        % (self.address, descriptions[done], str(error) or type(error).__name__)
                    ) from error

    def fill(self, size):
        """The buffer, read up to at least `size` bytes."""
        buffer = self.buffer
        have = len(buffer)
        if have >= size:
            return buffer
        parts = [buffer]
        while have < size:
            data = self.sock.recv(max(READ_SIZE, size - have))
            if not data:
                raise ConnectionBroken("the connection closed in the middle of an answer")
            parts.append(data)
            have += len(data)
        self.buffer = buffer = b"".join(parts)
        return buffer

    def read_response(self):
        if self.sock is None:
            raise ConnectionBroken("the Runtime API closed the connection after its answer")
        buffer = self.buffer
        end = buffer.find(b"\r\n\r\n")
        while end < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise ConnectionBroken("the answer's head is over 64 KiB")
            data = self.sock.recv(READ_SIZE)
            if not data:
                raise ConnectionBroken("the Runtime API closed the connection" if not buffer else "the connection closed in the middle of an answer")
            # Only the new bytes (and the three before them) can hold the end of the head.
            searched = max(0, len(buffer) - 3)
            buffer = self.buffer = buffer + data
            end = buffer.find(b"\r\n\r\n", searched)
        lines = buffer[:end].decode("latin-1").split("\r\n")
        status_line = lines[0]
        if not status_line.startswith(("HTTP/1.1 ", "HTTP/1.0 ")) or not status_line[9:12].isdigit():
            raise ConnectionBroken("the Runtime API answered %r, not an HTTP/1.1 status line" % status_line[:100])
        status = int(status_line[9:12])
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if colon:
                name = name.strip().lower()
                if name not in headers:
                    headers[name] = value.strip()
        start = end + 4
        length = headers.get("content-length")
        if status == 204 or status == 304 or status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body, start = self.read_chunks(start)
        elif length is not None:
            if not length.isdigit():
                raise ConnectionBroken("the Runtime API sent a bad Content-Length: %r" % length)
            stop = start + int(length)
            buffer = self.fill(stop)
            body = buffer[start:stop]
            start = stop
        else:
            # No length: the body ends with the connection.
            parts = [self.buffer[start:]]
            while True:
                data = self.sock.recv(READ_SIZE)
                if not data:
                    break
                parts.append(data)
            self.close()
            return Response(status, headers, b"".join(parts))
        self.buffer = self.buffer[start:]
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, body)

    def read_chunks(self, at):
        """A chunked body starting at buffer[at:]: its data, and where what follows it starts."""
        parts = []
        while True:
            line_end = self.buffer.find(b"\r\n", at)
            while line_end < 0:
                if len(self.buffer) - at > 1024:
                    raise ConnectionBroken("a chunk size line is over 1 KiB")
                line_end = self.fill(len(self.buffer) + 1).find(b"\r\n", at)
            size_text = self.buffer[at:line_end].split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ConnectionBroken("the Runtime API sent a malformed chunk")
            at = line_end + 2
            if size == 0:
                # Trailers (dropped), then an empty line.
                while True:
                    line_end = self.buffer.find(b"\r\n", at)
                    if line_end < 0:
                        self.fill(len(self.buffer) + 1)
                        continue
                    if line_end == at:
                        return b"".join(parts), at + 2
                    at = line_end + 2
            buffer = self.fill(at + size + 2)
            parts.append(buffer[at : at + size])
            at += size + 2

    def next_invocation(self, answer=None):
        """The next event (its headers and body); `answer`, the previous invocation's (request, path), goes first in the
        same write, and its refusal is dealt with as soon as it is read."""
        if answer is None:
            response = self.exchange([self.next_request], NEXT_DESCRIPTIONS)
        else:
            request, path = answer
            response = self.exchange(
                [request, self.next_request], ("POST " + path,) + NEXT_DESCRIPTIONS, lambda accepted: self.check_accepted(accepted, path)
            )
        if response.status != 200:
            raise RuntimeApiGone(
                "The Runtime API answered %d to GET %s (%s); this environment ends here."
                % (response.status, NEXT_PATH, response.body.decode("utf-8", "replace").strip())
            )
        return response.headers, response.body

    def answer_headers(self, content_type, invocation_id):
        """An answer's headers; it echoes the attempt's Lambda-Runtime-Invocation-Id when /next gave one (a late
        answer of an attempt that timed out is then refused with 410 instead of taken for a newer attempt)."""
        if invocation_id:
            return ((b"Content-Type", content_type), (b"Lambda-Runtime-Invocation-Id", invocation_id))
        return ((b"Content-Type", content_type),)

    def response_request(self, request_id, payload, content_type, invocation_id=None):
        """POST .../response, for next_invocation: (request, path)."""
        path = invocation_path(request_id, "response")
        return self.encode("POST", path, payload, self.answer_headers(content_type, invocation_id)), path

    def error_request(self, request_id, error_json, xray_cause, invocation_id=None):
        """POST .../error, for next_invocation: (request, path)."""
        path = invocation_path(request_id, "error")
        headers = self.answer_headers("application/json", invocation_id)
        if xray_cause:
            headers += ((b"Lambda-Runtime-Function-XRay-Error-Cause", xray_cause),)
        return self.encode("POST", path, error_json.encode("utf-8"), headers), path

    def post_init_error(self, error):
        headers = ((b"Lambda-Runtime-Function-Error-Type", error["errorType"]),)
        request = self.encode("POST", INIT_ERROR_PATH, to_json(error).encode("utf-8"), headers)
        self.check_accepted(self.exchange([request], ("POST " + INIT_ERROR_PATH,)), INIT_ERROR_PATH)

    @staticmethod
    def check_accepted(response, path):
        if 200 <= response.status < 300:
            return
        detail = response.body.decode("utf-8", "replace").strip()
        if response.status >= 500:
            # The Runtime API spec: a 500 means a non-recoverable state and the runtime should exit.
            raise RuntimeApiGone(
                "The Runtime API answered %d to POST %s (%s); this environment ends here." % (response.status, path, detail)
            )
        # 4xx (unknown request id, second response, payload too large): the runner has already settled
        # this invocation, so say so and keep serving.
        sys.stderr.write("The Runtime API refused POST %s with %d: %s\n" % (path, response.status, detail))


# ---------------------------------------------------------------------------------------------
# Marshalling, as awslambdaric does it (JSON in, JSON out; bytes pass through; Decimals as numbers).

if os.environ.get("AWS_EXECUTION_ENV") == "AWS_Lambda_python3.12":
    # awslambdaric writes non-ASCII as-is on this runtime only.
    encode_response = json.JSONEncoder(ensure_ascii=False).encode
    ENSURE_ASCII = False
else:
    encode_response = json.dumps
    ENSURE_ASCII = True

DECIMAL_MARK = "__open_runtime_decimal_%s_" % os.urandom(6).hex()
DECIMAL_PLACEHOLDER = re.compile('"' + DECIMAL_MARK + r'(\d+)"')


def encode_with_decimals(value):
    """Encode like awslambdaric's simplejson setup: a Decimal becomes the exact number it holds."""
    numbers = []

    def encode_other(obj):
        if isinstance(obj, decimal.Decimal):
            if obj.is_nan():
                return float("nan")
            numbers.append(str(obj))
            return DECIMAL_MARK + str(len(numbers) - 1)
        raise TypeError("Object of type %s is not JSON serializable" % obj.__class__.__name__)

    text = json.JSONEncoder(default=encode_other, ensure_ascii=ENSURE_ASCII).encode(value)
    if not numbers:
        return text
    return DECIMAL_PLACEHOLDER.sub(lambda match: numbers[int(match.group(1))], text)


def to_json(value):
    try:
        return encode_response(value)
    except TypeError:
        return encode_with_decimals(value)


def marshal_response(result):
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return to_json(result).encode("utf-8"), "application/json"
    except Exception as error:
        raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: %s" % error)


def unmarshal_event(body, content_type):
    if content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as error:
        raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: %s" % error)


# ---------------------------------------------------------------------------------------------
# The context object handed to the handler (same attributes and types as awslambdaric's).


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client(object):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __repr__(self):
        return "Client([%s])" % ",".join("%s=%s" % (name, getattr(self, name)) for name in self.__slots__)


class ClientContext(object):
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return "ClientContext([custom=%s,env=%s,client=%s])" % (self.custom, self.env, self.client)


def object_from_fields(cls, fields):
    if fields is None:
        return None
    obj = cls()
    for name in cls.__slots__:
        setattr(obj, name, fields.get(name))
    return obj


def parse_json_header(value, name):
    try:
        return json.loads(value)
    except Exception as error:
        raise FaultException(
            FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR, "Unable to parse %s JSON: %s" % (name, error)
        )


class LambdaContext(object):
    def __init__(self, request_id, client_context, cognito_identity, deadline_ms, invoked_function_arn, tenant_id=None):
        environ = os.environ
        self.aws_request_id = request_id
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # A string, exactly as in Lambda's Python runtime (code there does int(context.memory_limit_in_mb)).
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id

        self.client_context = object_from_fields(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = object_from_fields(Client, self.client_context.client)

        self.identity = object_from_fields(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")

        self._epoch_deadline_time_in_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        remaining = self._epoch_deadline_time_in_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,"
            "memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s,client_context=%s,identity=%s,"
            "tenant_id=%s])"
            % (
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
                self.tenant_id,
            )
        )


# ---------------------------------------------------------------------------------------------
# Logs: stdout/stderr are the function's logs; the root logger gets Lambda's handler and format.

LOG_FORMAT_IS_JSON = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
NO_BREAK_SPACE = "\u00a0"


class WriteThrough(object):
    """Flushes after every write, so print() reaches the logs at once even without `python -u`."""

    def __init__(self, stream):
        self.stream = stream

    def __getattr__(self, name):
        return getattr(self.stream, name)

    def write(self, text):
        written = self.stream.write(text)
        self.stream.flush()
        return written

    def writelines(self, lines):
        self.stream.writelines(lines)
        self.stream.flush()


def writes_through(stream):
    """`python -u` (or PYTHONUNBUFFERED) gives text streams that write straight to the file descriptor."""
    return getattr(stream, "write_through", False) and not isinstance(getattr(stream, "buffer", None), io.BufferedIOBase)


def make_output_unbuffered():
    if not writes_through(sys.stdout):
        sys.stdout = WriteThrough(sys.stdout)
    if not writes_through(sys.stderr):
        sys.stderr = WriteThrough(sys.stderr)


class LambdaLogHandler(logging.Handler):
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = current_request_id
        record.tenant_id = None
        return True


# Attributes every LogRecord has; anything else was passed with `extra=` and goes into JSON logs.
STANDARD_RECORD_FIELDS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
) | {"message", "asctime", "aws_request_id", "tenant_id"}


class JsonLogFormatter(logging.Formatter):
    """Lambda's JSON log format (AWS_LAMBDA_LOG_FORMAT=JSON): one object per line."""

    def format(self, record):
        level = min(50, max(0, record.levelno)) // 10 * 10
        exc_info = record.exc_info
        entry = {
            "timestamp": time.strftime(TIME_FORMAT, time.gmtime(record.created)) + ".%03dZ" % int(record.msecs),
            "level": logging.getLevelName(level),
            "message": record.getMessage(),
            "logger": record.name,
        }
        if exc_info:
            entry["stackTrace"] = traceback.format_tb(exc_info[2])
            entry["errorType"] = exc_info[0].__name__
            entry["errorMessage"] = str(exc_info[1])
        if record.aws_request_id is not None:
            entry["requestId"] = record.aws_request_id
        if exc_info:
            entry["location"] = "%s:%s:%s" % (record.pathname, record.funcName, record.lineno)
        for key, value in record.__dict__.items():
            if key not in STANDARD_RECORD_FIELDS and key not in entry and value is not None:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str) + "\n"


def set_up_logging():
    logging.Formatter.converter = time.gmtime  # Lambda's log times are UTC, marked Z
    handler = LambdaLogHandler()
    if LOG_FORMAT_IS_JSON:
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", TIME_FORMAT
            )
        )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        level = "DEBUG" if level.upper() == "TRACE" else level.upper()
        if isinstance(logging.getLevelName(level), int):
            root.setLevel(level)
    root.addHandler(handler)


def indent_with_no_break_spaces(line):
    stripped = line.lstrip(" ")
    return NO_BREAK_SPACE * (len(line) - len(stripped)) + stripped


def log_error(error):
    """Write an invoke or init error to the logs the way Lambda shows it."""
    if LOG_FORMAT_IS_JSON:
        entry = {"timestamp": time.strftime(TIME_FORMAT, time.gmtime()), "level": "ERROR"}
        entry.update(error)
        sys.stdout.write(to_json(entry) + "\n")
        return
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    stack_trace = error.get("stackTrace")
    if stack_trace is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack_trace:
            if element == "":
                lines.append("")
            else:
                lines.extend(indent_with_no_break_spaces(line) for line in element.splitlines())
    # In the cloud this record is one multi-line log event; "\n" keeps it readable locally too.
    sys.stdout.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# Errors, shaped like awslambdaric's.


def make_error(message, error_type, stack_trace, request_id=None):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def user_frames(tb):
    """The traceback without this client's own leading frames, as (file, line, function, code) tuples."""
    frames = [(frame.filename, frame.lineno, frame.name, frame.line) for frame in traceback.extract_tb(tb)]
    own_file = user_frames.__code__.co_filename  # exactly as frames of this file are reported
    for index, frame in enumerate(frames):
        if frame[0] != own_file:
            return frames[index:]
    return frames


def xray_cause(error_type, message, frames):
    cause = {
        "working_directory": os.getcwd(),
        "exceptions": [
            {
                "message": message,
                "type": error_type,
                "stack": [{"label": name, "path": path, "line": line} for path, line, name, _ in frames],
            }
        ],
        "paths": sorted({frame[0] for frame in frames}),
    }
    text = json.dumps(cause)
    return text if len(text) < XRAY_CAUSE_LIMIT else ""


def error_from_exception(exc_info, request_id=None):
    error_class, value, tb = exc_info
    frames = user_frames(tb)
    stack_trace = traceback.format_list(frames)
    return make_error(str(value), error_class.__name__, stack_trace, request_id), frames


# ---------------------------------------------------------------------------------------------
# Init: find and import the handler.


def put_task_root_on_path(task_root):
    # `python bootstrap.py` puts this client's folder first on sys.path; user modules must not
    # resolve against it, and the task root comes first, as in Lambda.
    if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == os.path.dirname(THIS_FILE):
        del sys.path[0]
    sys.path.insert(0, task_root)


def load_handler(handler_name):
    try:
        module_name, function_name = handler_name.rsplit(".", 1)
    except ValueError as error:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME, "Bad handler '%s': %s" % (handler_name, error))

    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module %s as a handler module" % module_name,
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR,
            "Unable to import module '%s': %s%s" % (module_name, error, missing_sdk_advice(error)),
        )
    except SyntaxError as error:
        trace = ['  File "%s" Line %s\n    %s' % (error.filename, error.lineno, error.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR, "Syntax error in module '%s': %s" % (module_name, error), trace
        )

    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND, "Handler '%s' missing on module '%s'" % (function_name, module_name)
        )


# Lambda's Python runtimes include the AWS SDK for Python, so functions import it without packaging it.
SHIPPED_BY_LAMBDA = ("boto3", "botocore")


def missing_sdk_advice(error):
    """The sentence added to "No module named 'boto3'": what Lambda would have had, and how to get it here."""
    name = (getattr(error, "name", None) or "").split(".")[0]
    if name not in SHIPPED_BY_LAMBDA:
        return ""
    return (
        ". Lambda's Python runtimes include boto3 and botocore, so functions import them without packaging them; "
        "the Python running this function here (%s) has no %s. Install it there: %s -m pip install boto3 "
        "(or into the function's folder: pip install boto3 -t %s)"
        % (sys.executable, name, sys.executable, os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd())
    )


# Where Debian and Ubuntu's python3-debugpy puts debugpy (and `bytecode`, which Debian's build of it imports);
# OPEN_RUNTIME_DEBUGPY_PATH (set in the runner's environment) names another such folder.
SYSTEM_DIST_PACKAGES = os.environ.get("OPEN_RUNTIME_DEBUGPY_PATH") or "/usr/lib/python3/dist-packages"


class SystemDebugpyFinder:
    """Finds debugpy and what Debian's debugpy imports in the system's dist-packages, and nothing else there.

    A pyenv or uv Python does not see the system's dist-packages, yet debugpy from there runs in it (pure Python, with
    a Cython speed-up used only by the system's own Python version). Putting the whole folder on sys.path would let
    the function import every Debian package; this finder answers only for these names, so the function still sees
    only its own packages, as on Lambda.
    """

    NAMES = ("debugpy", "bytecode")

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in cls.NAMES:
            return None
        import importlib.machinery

        return importlib.machinery.PathFinder.find_spec(name, [SYSTEM_DIST_PACKAGES])


def import_debugpy():
    """debugpy from the function's Python, else Debian's python3-debugpy through SystemDebugpyFinder; None if neither."""
    try:
        import debugpy

        return debugpy
    except ImportError:
        pass
    if not os.path.isdir(os.path.join(SYSTEM_DIST_PACKAGES, "debugpy")):
        return None
    sys.meta_path.append(SystemDebugpyFinder)
    # Frozen standard modules make pydevd print a warning on every start; breakpoints in the user's code are unaffected.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        import debugpy

        return debugpy
    except ImportError:
        sys.meta_path.remove(SystemDebugpyFinder)
        return None


def wait_for_debugger(port_text):
    """Listen for a debugpy client (VS Code's Python debugger) and wait until it attaches."""
    debugpy = import_debugpy()
    if debugpy is None:
        raise FaultException(
            FaultException.DEBUGGER_UNAVAILABLE,
            "Debugging needs the debugpy package, which is not installed for the Python interpreter at %s. "
            "Install it with: %s -m pip install debugpy (on Debian or Ubuntu: apt install python3-debugpy), "
            "then start debugging again." % (sys.executable, sys.executable),
        )
    try:
        port = int(port_text)
        endpoint = debugpy.listen(("127.0.0.1", port))
        # Port 0: the system picked one (each invocation of an armed function gets its own), so say which.
        if isinstance(endpoint, tuple) and len(endpoint) == 2:
            port = int(endpoint[1])
    except OSError as error:
        raise FaultException(
            FaultException.DEBUGGER_UNAVAILABLE,
            "The debugger could not listen on 127.0.0.1:%s (%s). Free that port or pick another one, "
            "then start debugging again." % (port_text, error),
        )
    except Exception as error:
        raise FaultException(
            FaultException.DEBUGGER_UNAVAILABLE,
            "debugpy could not start listening on 127.0.0.1:%s (%s: %s). Its installation for %s may be "
            "broken: reinstall it with %s -m pip install --upgrade debugpy, then start debugging again."
            % (port_text, type(error).__name__, error, sys.executable, sys.executable),
        )
    sys.stderr.write("OPEN_RUNTIME_DEBUGPY_LISTENING %d\n" % port)
    sys.stderr.flush()
    debugpy.wait_for_client()


# ---------------------------------------------------------------------------------------------
# The invoke loop.


def handle_invocation(api, handler, request_id, headers, body):
    """Runs the handler on one event: the answer to send, as next_invocation takes it."""
    invocation_id = headers.get("lambda-runtime-invocation-id")
    try:
        client_context = headers.get("lambda-runtime-client-context")
        cognito_identity = headers.get("lambda-runtime-cognito-identity")
        context = LambdaContext(
            request_id,
            parse_json_header(client_context, "Client Context") if client_context else None,
            parse_json_header(cognito_identity, "Cognito Identity") if cognito_identity else None,
            int(headers.get("lambda-runtime-deadline-ms") or 0),
            headers.get("lambda-runtime-invoked-function-arn"),
            headers.get("lambda-runtime-aws-tenant-id"),
        )
        event = unmarshal_event(body, headers.get("content-type"))
        payload, content_type = marshal_response(handler(event, context))
    except FaultException as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, request_id)
        cause = xray_cause("LambdaValidationError", fault.message, [])
    except Exception:
        error, frames = error_from_exception(sys.exc_info(), request_id)
        cause = xray_cause(error["errorType"], error["errorMessage"], frames)
    else:
        return api.response_request(request_id, payload, content_type, invocation_id)
    log_error(error)
    return api.error_request(request_id, to_json(error), cause, invocation_id)


def serve_invocations(api, handler):
    global current_request_id
    environ = os.environ
    answer = None
    while True:
        headers, body = api.next_invocation(answer)
        request_id = headers.get("lambda-runtime-aws-request-id") or ""
        current_request_id = request_id
        trace_id = headers.get("lambda-runtime-trace-id")
        if trace_id is not None:
            environ["_X_AMZN_TRACE_ID"] = trace_id
        elif "_X_AMZN_TRACE_ID" in environ:
            del environ["_X_AMZN_TRACE_ID"]
        answer = handle_invocation(api, handler, request_id, headers, body)


def start_workers(max_concurrency):
    """Lambda Managed Instances: as Lambda's Python runtime, AWS_LAMBDA_MAX_CONCURRENCY processes, each with its own
    init (the handler's module loads in each) and its own Runtime API connection, each running one invocation at a
    time. This process is one of them; the others are forked from it before anything is loaded or connected."""
    try:
        workers = int(max_concurrency or "1")
    except ValueError:
        workers = 1
    for _ in range(min(workers, 1000) - 1):
        if os.fork() == 0:
            return


def main():
    # The runner stops environments with SIGTERM; end at once even if our parent ignored it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    make_output_unbuffered()

    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write(
            "AWS_LAMBDA_RUNTIME_API is not set, so there is no Runtime API to serve. "
            "Start this client through the Open Runtime runner (or set it to host:port).\n"
        )
        return 1
    start_workers(os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY"))
    api = RuntimeApi(address, os.environ.get("OPEN_RUNTIME_RUNTIME_API_SOCKET"))
    put_task_root_on_path(os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd())
    set_up_logging()

    try:
        try:
            debug_port = os.environ.get("OPEN_RUNTIME_DEBUGPY_PORT")
            if debug_port:
                wait_for_debugger(debug_port)
            handler = load_handler(os.environ.get("_HANDLER", ""))
        except FaultException as fault:
            error = make_error(fault.message, fault.error_type, fault.trace)
            log_error(error)
            api.post_init_error(error)
            return 1
        except Exception:
            error, _ = error_from_exception(sys.exc_info())
            log_error(error)
            api.post_init_error(error)
            return 1
        serve_invocations(api, handler)
    except RuntimeApiGone as gone:
        sys.stderr.write("%s\n" % gone)
        return 1


if __name__ == "__main__":
    sys.exit(main())
