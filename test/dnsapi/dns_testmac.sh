#!/usr/bin/env sh
# test/dnsapi/dns_testmac.sh - a dnsapi script in the form of acme.sh's,
# written for acme's tests (ISC, like acme), for test/dnsmock.py: every
# request is signed as cloud APIs want it, with _digest (SHA-256 of the
# body), _hex_dump (the secret as an HMAC key) and _hmac (HMAC-SHA256),
# and uses the other helpers a provider script needs: _url_encode,
# _base64, _dbase64, the account's and the domain's saved settings.
#   TMAC_Url     the API's base URL (https://localhost:PORT)
#   TMAC_Secret  the signing secret

dns_testmac_add() {
  _tmac_setup "$1" || return 1
  _tmac_b64=$(printf '%s' "$2" | _base64)
  _tmac_call POST /records \
    "name=$(printf '%s' "$1" | _url_encode)&value=$2&value_b64=$(printf '%s' "$_tmac_b64" | _url_encode)" ||
    return 1
  _contains "$_tmac_out" '"id"' || {
    _err "no record id in: $_tmac_out"
    return 1
  }
  _info "added record $(printf '%s' "$_tmac_out" | _egrep_o '"r[0-9]*"' | _head_n 1)"
}

dns_testmac_rm() {
  _tmac_setup "$1" || return 1
  _tmac_call GET "/records?name=$(printf '%s' "$1" | _url_encode)" "" ||
    return 1
  for _tmac_rec in $(printf '%s' "$_tmac_out" | _normalizeJson |
    _egrep_o '"id":"r[0-9]*", *"name":"[^"]*", *"value_b64":"[^"]*"' | tr -d ' '); do
    _tmac_v=$(printf '%s' "$_tmac_rec" | _egrep_o 'value_b64":"[^"]*' |
      cut -d '"' -f 3 | _dbase64)
    [ "$_tmac_v" = "$2" ] || continue
    _tmac_id=$(printf '%s' "$_tmac_rec" | _egrep_o '"id":"r[0-9]*"' | _egrep_o 'r[0-9]+')
    _tmac_call DELETE "/records/$_tmac_id" "" || return 1
    return 0
  done
  _err "no record $2 at $1"
  return 1
}

# Credentials: TMAC_Url kept the old way (_saveaccountconf: acme.sh
# sources it back), TMAC_Secret the new (_saveaccountconf_mutable); the
# zone id cached in the domain's settings.
_tmac_setup() {
  if [ -z "$TMAC_Url" ]; then
    _err "set TMAC_Url"
    return 1
  fi
  _saveaccountconf TMAC_Url "$TMAC_Url"
  TMAC_Secret="${TMAC_Secret:-$(_readaccountconf_mutable TMAC_Secret)}"
  if [ -z "$TMAC_Secret" ]; then
    _err "set TMAC_Secret"
    return 1
  fi
  _saveaccountconf_mutable TMAC_Secret "$TMAC_Secret"
  _tmac_key=$(printf '%s' "$TMAC_Secret" | _hex_dump | tr -d ' ')
  _secure_debug2 key "$_tmac_key"
  _tmac_zone=$(_readdomainconf TMAC_Zone)
  if [ -z "$_tmac_zone" ]; then
    _tmac_call GET "/zones?name=$(printf '%s' "$1" | cut -d . -f 2- | _url_encode)" "" ||
      return 1
    _tmac_zone=$(printf '%s' "$_tmac_out" | _egrep_o '"id": *"z[0-9]*"' |
      _egrep_o 'z[0-9]+')
    [ -n "$_tmac_zone" ] || {
      _err "no zone in: $_tmac_out"
      return 1
    }
    _savedomainconf TMAC_Zone "$_tmac_zone"
  fi
  _debug zone "$_tmac_zone"
}

# _tmac_call METHOD PATH BODY: the answer in $_tmac_out; fails unless 2xx.
_tmac_call() {
  _tmac_date=$(_time)
  _tmac_content=$(printf '%s' "$3" | _digest sha256)
  _tmac_sig=$(printf '%s\n%s\n%s\n%s' "$1" "$2" "$_tmac_date" \
    "$_tmac_content" | _hmac sha256 "$_tmac_key" hex)
  export _H1="X-Mac-Date: $_tmac_date"
  export _H2="X-Mac-Content: $_tmac_content"
  export _H3="X-Mac-Signature: $_tmac_sig"
  if [ "$1" = GET ]; then
    _tmac_out=$(_get "$TMAC_Url$2") || return 1
  else
    _tmac_out=$(_post "$3" "$TMAC_Url$2" "" "$1") || return 1
  fi
  _debug2 answer "$_tmac_out"
  if ! _egrep_o '^HTTP/1\.[01] 20[0-9]' <"$HTTP_HEADER" >/dev/null; then
    _err "$1 $2: $(_head_n 1 <"$HTTP_HEADER") $_tmac_out"
    return 1
  fi
}
