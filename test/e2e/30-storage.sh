# test/e2e/30-storage.sh - the state directory: backup ring, meta.txt, purge
# by the CA's time, crash safety, full and read-only disks, list, restore,
# import-certbot, the lock (sourced by test/run.sh).

# set_ok SETDIR [marker-ok]: the five files as regular files (plus, before
# recovery, the .staged marker), nothing else, the key matching the cert.
set_ok()
{
	local s=$1 f n=5
	for f in cert.pem chain.pem fullchain.pem privkey.pem meta.txt; do
		[ -f "$s/$f" ] && [ ! -L "$s/$f" ] || { echo "$s/$f missing"; return 1; }
	done
	[ -n "${2:-}" ] && [ -e "$s/.staged" ] && n=6
	[ "$(ls -A "$s" | wc -l)" = "$n" ] || { echo "$s holds [$(ls -A "$s" | tr '\n' ' ')]"; return 1; }
	[ "$(openssl pkey -in "$s/privkey.pem" -pubout 2>/dev/null)" = \
	    "$(openssl x509 -in "$s/cert.pem" -noout -pubkey 2>/dev/null)" ] ||
	    { echo "$s: privkey.pem does not match cert.pem"; return 1; }
}

# ring DIR NAME: "live-serial 1-serial 2-serial ..." after checking that
# every set is whole, the ring is 1..n without gaps and nothing else lies
# in live/ or backup/NAME (no staging, no half-deleted set).
ring()
{
	local d=$1 n=$2 k out why cnt f
	why=$(set_ok "$d/live/$n") || fail "live/$n: $why"
	out=$(serial "$d/live/$n/cert.pem")
	[ "$(ls -A "$d/live" | grep -c '^\.')" = 0 ] ||
	    fail "live/ holds [$(ls -A "$d/live" | tr '\n' ' ')]"
	if [ -d "$d/backup/$n" ]; then
		for f in $(ls -A "$d/backup/$n"); do
			case $f in 1 | 2 | 3) ;; *) fail "backup/$n holds $f" ;; esac
		done
		cnt=0
		for k in 1 2 3; do
			[ -d "$d/backup/$n/$k" ] || break
			why=$(set_ok "$d/backup/$n/$k") || fail "backup $k: $why"
			out="$out $(serial "$d/backup/$n/$k/cert.pem")"
			cnt=$k
		done
		[ "$(ls -A "$d/backup/$n" | wc -l)" = "$cnt" ] ||
		    fail "backup/$n has a gap: [$(ls -A "$d/backup/$n" | tr '\n' ' ')]"
	fi
	echo "$out"
}

# no_symlinks DIR: nothing in DIR is a symbolic link.
no_symlinks()
{
	local l
	l=$(find "$1" -type l | head -n 1)
	[ -z "$l" ] || fail "symlink in DIR: ${l#"$1"/}"
}

# Six issuances: live plus backups 1, 2, 3, newest first, each whole; the
# first key is gone from disk; meta.txt says what each set is.
e2e store_six pebble
t_store_six()
{
	local d n=six.example.com i s=() k1 got m want
	d=$(newdir)
	for i in 1 2 3 4 5 6; do
		run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
		expect_rc 0
		s+=("$(serial "$d/live/$n/cert.pem")")
		[ "$i" = 1 ] && k1=$(sha256sum <"$d/live/$n/privkey.pem" | cut -c 1-64)
	done
	check_live "$d" $n DNS:$n
	got=$(ring "$d" $n)
	[ "$got" = "${s[5]} ${s[4]} ${s[3]} ${s[2]}" ] ||
	    fail "sets are [$got], expected [${s[5]} ${s[4]} ${s[3]} ${s[2]}]"
	no_symlinks "$d"
	find "$d" -type f -exec sha256sum {} + | grep -q "^$k1" &&
	    fail "the first private key is still on disk"
	for f in $(find "$d/live" "$d/backup" -name privkey.pem); do
		[ "$(mode "$f")" = 600 ] || fail "${f#"$d"/} mode $(mode "$f")"
	done
	while IFS= read -r f; do
		[ "$(mode "$f")" = 700 ] || fail "${f#"$d"/} mode $(mode "$f")"
	done < <(find "$d" -type d)
	# meta.txt: what openssl says, without openssl
	m=$d/live/$n/meta.txt
	for want in "format: 1" "name: $n" "identifiers: $n" "key_type: ec256" \
	    "server: $PB_URL"; do
		grep -qx "$want" "$m" || fail "meta.txt lacks '$want'"
	done
	[ "$(grep '^serial: ' "$m" | cut -d' ' -f2)" = \
	    "$(serial "$d/live/$n/cert.pem")" ] || fail "meta.txt serial"
	[ "$(grep '^sha256: ' "$m" | cut -d' ' -f2)" = \
	    "$(openssl x509 -in "$d/live/$n/cert.pem" -outform der | sha256sum | cut -c 1-64)" ] ||
	    fail "meta.txt sha256"
	[ "$(grep '^not_after: ' "$m" | cut -d' ' -f2)" = \
	    "$(date -u -d "$(openssl x509 -in "$d/live/$n/cert.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" ] ||
	    fail "meta.txt not_after"
	grep -Eq '^issued_at: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$m" || fail "meta.txt issued_at"
	grep -Eqx 'issued_at_source: (http-date|notbefore\+backdate)' "$m" ||
	    fail "meta.txt issued_at_source"
	grep -q "^issuer: Pebble Intermediate" "$m" || fail "meta.txt issuer"
	for i in 1 2 3; do
		[ -s "$d/backup/$n/$i/meta.txt" ] || fail "backup $i has no meta.txt"
	done
}

# purge_first D FILE: S1 L1 S2 L2 into D (S: short-lived Pebble, L: the
# shared one); writes the serials "L1 L2" to FILE.
purge_first()
{
	local d=$1 i l=()
	for i in S L S L; do
		if [ "$i" = S ]; then
			run_acme "${S_PB[@]}" "${S_SA[@]}" --dir "$d" issue purge.example.com
		else
			run_acme "${L_PB[@]}" "${L_SA[@]}" --dir "$d" issue purge.example.com
		fi
		expect_rc 0
		[ "$i" = L ] && l+=("$(serial "$d/live/purge.example.com/cert.pem")")
	done
	echo "${l[*]}" >"$2"
}

# Backups that expired before the issuance time (by the CA's clock) are
# deleted, exactly those; the device clock (1970, 2100) changes nothing.
# S: a Pebble issuing one-hour certificates; L: the shared one, last
# through caproxy with the CA's clock two hours ahead (S2 has expired by
# then: no waiting for it).
e2e store_purge pebble
t_store_purge()
{
	local L_PB=("${ACME_PB[@]}") L_SA=("${ACME_SA[@]}") S_PB S_SA
	local d0 d1 d2 l0 l1 l2 got end n=purge.example.com
	caproxy_start --date-offset 7200 || fail "caproxy did not start"
	PB_VALIDITY=3600 pebble_start pebble-short || fail "short-lived pebble did not start"
	S_PB=("${ACME_PB[@]}") S_SA=("${ACME_SA[@]}")
	d0=$(newdir real) d1=$(newdir at1970) d2=$(newdir at2100)
	purge_first "$d0" "$T/l0"
	ACME_TEST_NOW=0 purge_first "$d1" "$T/l1"
	ACME_TEST_NOW=4102444800 purge_first "$d2" "$T/l2"
	l0=$(cat "$T/l0") l1=$(cat "$T/l1") l2=$(cat "$T/l2")
	# backups now: 1 = S2, 2 = L1, 3 = S1; S2 expires within the hour
	end=$(date -u -d "$(grep '^not_after: ' "$d2/backup/$n/1/meta.txt" | cut -d' ' -f2)" +%s)
	[ "$end" -lt $(($(date +%s) + 3700)) ] || fail "short-lived certificate valid until $end"
	for d in "$d0" "$d1" "$d2"; do
		case $d in
		"$d1") export ACME_TEST_NOW=0 ;;
		"$d2") export ACME_TEST_NOW=4102444800 ;;
		*) unset ACME_TEST_NOW ;;
		esac
		run_acme "${ACME_PX[@]}" "${L_SA[@]}" --dir "$d" issue $n
		expect_rc 0
	done
	unset ACME_TEST_NOW
	for d in "$d0:$l0" "$d1:$l1" "$d2:$l2"; do
		set -- ${d#*:}
		got=$(ring "${d%%:*}" $n | cut -d' ' -f2-)
		[ "$got" = "$2 $1" ] ||
		    fail "${d%%:*}: backups [$got], expected the long-lived [$2 $1]"
	done
}

# crash_rc: after a run with ACME_TEST_CRASH_AT=$k, crc=$RC, which must
# be 0 (the command completed) or 137 (killed at step k).
crash_rc()
{
	crc=$RC
	[ "$RC" = 0 ] || [ "$RC" = 137 ] || fail "K=$k: exit $RC, expected 137 (SIGKILL)"
}

# crash_end WHAT MIN: the crash loop ended with the command completing,
# after at least MIN write steps (fewer: the writes bypass store_*).
crash_end()
{
	[ "$crc" = 0 ] || fail "$1: still crashing at K=$k"
	[ "$k" -gt "$2" ] || fail "$1: only $((k - 1)) write steps"
	echo "$1: $((k - 1)) write steps"
}

# conf_clean WHAT: no temporary file (a name starting with '.') is left
# in $d/conf.
conf_clean()
{
	[ -z "$(ls -A "$d/conf" | grep '^\.')" ] ||
	    fail "$1: conf/ holds [$(ls -A "$d/conf" | tr '\n' ' ')]"
}

# Kill acme at every write step of an issuance (ACME_TEST_CRASH_AT): live
# is always whole (old or new), and after the next run (list) the ring is
# well formed and nothing is lost.
e2e store_crash pebble
t_store_crash()
{
	local d n=crash.example.com k before after new seen=" " p crc
	d=$(newdir)
	for k in 1 2 3 4; do
		run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
		expect_rc 0
	done
	before=$(ring "$d" $n)
	seen=" $before "
	for k in $(seq 1 100); do
		ACME_TEST_CRASH_AT=$k run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" \
		    --dir "$d" issue $n
		crash_rc
		p=$(set_ok "$d/live/$n" marker-ok) || fail "K=$k: live set after the crash: $p"
		run_acme --dir "$d" list
		expect_rc 0
		after=$(ring "$d" $n)
		set -- $before
		if [ "${after%% *}" = "$1" ]; then
			[ "$after" = "$before" ] ||
			    fail "K=$k: old set live, but the sets changed: [$before] -> [$after]"
		else
			new=${after%% *}
			case $seen in *" $new "*) fail "K=$k: live is an older set $new" ;; esac
			[ "$after" = "$new $1 $2 $3" ] ||
			    fail "K=$k: [$before] -> [$after], expected [$new $1 $2 $3]"
		fi
		seen="$seen$after "
		before=$after
		[ "$crc" = 0 ] && break
	done
	crash_end issue 1
	conf_clean issue
	# the same for restore (no network)
	for k in $(seq 1 100); do
		ACME_TEST_CRASH_AT=$k run_acme --dir "$d" restore $n 3
		crash_rc
		run_acme --dir "$d" list
		expect_rc 0
		after=$(ring "$d" $n)
		[ "$(echo "$after" | tr ' ' '\n' | sort)" = "$(echo "$before" | tr ' ' '\n' | sort)" ] ||
		    fail "restore K=$k: [$before] -> [$after]: sets lost or added"
		if [ "$crc" = 0 ]; then
			set -- $before
			[ "$after" = "$4 $1 $2 $3" ] ||
			    fail "restore 3: [$before] -> [$after], expected [$4 $1 $2 $3]"
			break
		fi
		before=$after
	done
	crash_end restore 1
	# and restore without RENAME_EXCHANGE (the two-rename fallback)
	before=$after
	for k in $(seq 1 100); do
		ACME_TEST_NO_EXCHANGE=1 ACME_TEST_CRASH_AT=$k run_acme --dir "$d" restore $n 2
		crash_rc
		p=$(set_ok "$d/live/$n") || [ -d "$d/live/.$n.old" ] ||
		    fail "fallback restore K=$k: no live set and none aside: $p"
		run_acme --dir "$d" list
		expect_rc 0
		after=$(ring "$d" $n)
		[ "$(echo "$after" | tr ' ' '\n' | sort)" = "$(echo "$before" | tr ' ' '\n' | sort)" ] ||
		    fail "fallback restore K=$k: [$before] -> [$after]: sets lost or added"
		if [ "$crc" = 0 ]; then
			set -- $before
			[ "$after" = "$3 $1 $2 $4" ] ||
			    fail "fallback restore 2: [$before] -> [$after], expected [$3 $1 $2 $4]"
			break
		fi
		before=$after
	done
	crash_end "fallback restore" 1
}

# acct_files DIR: the entries of accounts/ and of each account in it.
acct_files() { (cd "$1/accounts" && find . -mindepth 1 | LC_ALL=C sort | paste -sd ' '); }

# Kill acme at every write step of an account key rollover: key.pem is
# always whole, the next run (account show, which signs with key.pem)
# settles an interrupted rollover with the key the CA has and leaves only
# key.pem and account.txt, and the account still issues at the end.
e2e store_crash_rollover pebble
t_store_crash_rollover()
{
	local d k crc host n=crroll.example.com
	d=$(newdir)
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	check_account "$d"
	host=${ACCOUNT##*/}
	for k in $(seq 1 20); do
		ACME_TEST_CRASH_AT=$k run_acme "${ACME_PB[@]}" --dir "$d" \
		    account rollover
		crash_rc
		openssl pkey -in "$ACCOUNT/key.pem" -noout 2>/dev/null ||
		    fail "K=$k: key.pem is not a whole key"
		run_acme "${ACME_PB[@]}" --dir "$d" account show
		expect_rc 0
		[ "$(acct_files "$d")" = "./$host ./$host/account.txt ./$host/key.pem" ] ||
		    fail "K=$k: accounts/ holds [$(acct_files "$d")]"
		[ "$crc" = 0 ] && break
	done
	crash_end rollover 2
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	check_account "$d"
}

# Kill acme at every write step of an account deactivation (a new account
# each time): the account directory is whole under one name or the
# other, and running the command again finishes it: accounts/HOST is set
# aside with its key (nothing is lost), and a new issue makes a new
# account.
e2e store_crash_deactivate pebble
t_store_crash_deactivate()
{
	local d k crc host key n=crdeact.example.com
	for k in $(seq 1 10); do
		d=$(newdir "k$k")
		run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
		expect_rc 0
		check_account "$d"
		host=${ACCOUNT##*/}
		key=$(sha256sum <"$ACCOUNT/key.pem")
		ACME_TEST_CRASH_AT=$k run_acme "${ACME_PB[@]}" --dir "$d" \
		    account deactivate --yes-deactivate
		crash_rc
		if [ "$crc" = 137 ]; then
			run_acme "${ACME_PB[@]}" --dir "$d" account deactivate \
			    --yes-deactivate
			expect_rc 0
			grep -q 'deactivated already' "$T/stderr" ||
			    fail "K=$k: the second run did not find it deactivated"
		fi
		case $(acct_files "$d") in
		"./$host@deactivated-"[0-9]*" ./$host@deactivated-"[0-9]*"/account.txt ./$host@deactivated-"[0-9]*"/key.pem") ;;
		*) fail "K=$k: accounts/ holds [$(acct_files "$d")]" ;;
		esac
		[ "$(sha256sum <"$d/accounts/$host@deactivated-"*/key.pem)" = "$key" ] ||
		    fail "K=$k: the key set aside is not the account's"
		run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
		expect_rc 0
		[ -f "$d/accounts/$host/key.pem" ] &&
		    [ "$(sha256sum <"$d/accounts/$host/key.pem")" != "$key" ] ||
		    fail "K=$k: no new account: [$(acct_files "$d")]"
		[ "$crc" = 0 ] && break
	done
	crash_end deactivate 1
}

# state_whole FILE: conf/NAME.state as renew writes it, every line of it
# (a comment, then "key = value" lines: the ARI keys and the serial).
state_whole()
{
	"$PYTHON" - "$1" <<'EOF'
import sys
t = open(sys.argv[1]).read()
assert t.endswith("\n") and t.startswith("# acme: renewal state of "), t
kv = dict(l.split(" = ", 1) for l in t.splitlines()[1:])
assert set(kv) == {"ari-serial", "ari-window-start", "ari-window-end",
                   "ari-renew-at", "ari-next-check"}, kv
EOF
}

# Kill acme at every write step of renew's state (conf/NAME.state): the
# file is always whole or absent, and the next run recovers (no temporary
# file left, the state written again). Then the same for a renewal that
# ends by removing the state: whole or absent after every kill, the live
# set whole, and the next run back to a whole state and exit 0.
e2e store_crash_state pebble
t_store_crash_state()
{
	local d k crc st p n=crstate.example.com
	caproxy_start --ari --ari-window +86400,+172800 --ari-retry-after 3600 ||
	    fail "caproxy did not start"
	d=$(newdir)
	st=$d/conf/$n.state
	run_acme "${ACME_PX[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	for k in $(seq 1 20); do
		rm -f "$st"
		ACME_TEST_CRASH_AT=$k run_acme --dir "$d" renew
		crash_rc
		[ ! -e "$st" ] || state_whole "$st" || fail "K=$k: state not whole"
		[ "$crc" = 0 ] && break
		run_acme --dir "$d" renew
		expect_rc 0
		grep -q "^$n: not due until" "$T/stdout" || fail "K=$k: $(head -n 1 "$T/stdout")"
		state_whole "$st" || fail "K=$k: state not written again"
		conf_clean "K=$k"
	done
	crash_end state 2
	for k in $(seq 1 100); do
		ACME_TEST_CRASH_AT=$k run_acme --dir "$d" --force renew
		crash_rc
		[ ! -e "$st" ] || state_whole "$st" || fail "forced K=$k: state not whole"
		p=$(set_ok "$d/live/$n" marker-ok) || fail "forced K=$k: live set after the crash: $p"
		[ "$crc" = 0 ] && break
		run_acme --dir "$d" renew
		expect_rc 0
		state_whole "$st" || fail "forced K=$k: no whole state after the next run"
		conf_clean "forced K=$k"
	done
	crash_end "forced renewal" 2
	grep -q "^$n: renewed" "$T/stdout" || fail "not renewed: $(head -n 1 "$T/stdout")"
	[ ! -e "$st" ] || fail "state kept after the renewal"
}

# store_mount MNT SIZE: a tmpfs at MNT (root only); skips otherwise.
store_mount()
{
	mkdir -p "$1"
	[ "$(id -u)" = 0 ] || skip "needs root to mount a tmpfs"
	mount -t tmpfs -o "size=$2,mode=700" tmpfs "$1" 2>"$T/mount.err" ||
	    skip "cannot mount a tmpfs: $(cat "$T/mount.err")"
	trap 'umount "$T/mnt" 2>/dev/null; lib_stop_pids "$T/pids"' EXIT
}

# A full file system: a clear error, the old live set and ring intact, no
# staging left; with room again the next issuance works.
e2e store_full_disk pebble
t_store_full_disk()
{
	local d n=full.example.com
	store_mount "$T/mnt" 512k
	d=$T/mnt/state
	mkdir -m 700 "$d"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	dd if=/dev/zero of="$T/mnt/fill" bs=4k >/dev/null 2>&1
	snapshot "$d" >"$T/before"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 1
	expect_one_error_line
	grep -q 'No space left' "$T/stderr" || fail "error does not say the disk is full"
	expect_same "$T/before" "$d"
	rm "$T/mnt/fill"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	check_live "$d" $n DNS:$n
	[ "$(ring "$d" $n | wc -w)" = 3 ] || fail "expected live and two backups"
}

# A read-only DIR: issue fails with one clear line, nothing changes; list
# still works.
e2e store_readonly pebble
t_store_readonly()
{
	local d n=ro.example.com
	store_mount "$T/mnt" 1m
	d=$T/mnt/state
	mkdir -m 700 "$d"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 0
	mount -o remount,ro "$T/mnt" || fail "cannot remount read-only"
	snapshot "$d" >"$T/before"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n
	expect_rc 1
	expect_one_error_line
	grep -q 'Read-only' "$T/stderr" || fail "error does not say read-only"
	expect_same "$T/before" "$d"
	run_acme --dir "$d" list
	expect_rc 0
	grep -q "^$n: $n" "$T/stdout" || fail "list does not show $n"
	check_live "$d" $n DNS:$n
}

# list writes nothing; on a missing DIR it creates nothing.
e2e store_list pebble
t_store_list()
{
	local d n=list.example.com
	d=$(newdir)
	run_acme --dir "$T/none" list
	expect_rc 0
	[ ! -e "$T/none" ] || fail "list created DIR"
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --dir "$d" issue $n www.$n
	expect_rc 0
	run_acme "${ACME_PB[@]}" "${ACME_SA[@]}" --key-type rsa2048 --dir "$d" issue $n www.$n
	expect_rc 0
	snapshot "$d" >"$T/before"
	run_acme --dir "$d" list
	expect_rc 0
	expect_same "$T/before" "$d"
	grep -qx "$n: $n www.$n" "$T/stdout" || fail "list: no identifiers line"
	grep -Eq "^  live      not after [0-9T:-]+Z  (89|90) days left +rsa2048 serial $(serial "$d/live/$n/cert.pem")\$" "$T/stdout" ||
	    fail "list: no live line with days left, key type and serial"
	grep -Eq "^  backup 1  not after [0-9T:-]+Z  (89|90) days left +ec256 +serial $(serial "$d/backup/$n/1/cert.pem")\$" "$T/stdout" ||
	    fail "list: no backup 1 line"
	# restore errors: one line, nothing changed
	run_acme --dir "$d" restore $n 2
	expect_rc 2
	expect_one_error_line
	run_acme --dir "$d" restore ../etc 1
	expect_rc 2
	expect_one_error_line
	run_acme --dir "$d" restore $n 4
	expect_rc 2
	expect_one_error_line
	expect_same "$T/before" "$d"
	run_acme --dir "$d" restore $n
	expect_rc 0
	[ "$(key_type "$d/live/$n/privkey.pem")" = ec256 ] || fail "restore 1 did not bring back the ec256 set"
	[ "$(key_type "$d/backup/$n/1/privkey.pem")" = rsa2048 ] || fail "the live set did not become backup 1"
}

# One writer: a second acme gets "busy" (exit 1), or waits with --wait.
# The lock is held by a flock(1) that lets go only when told to, and the
# waiting acme is seen blocked in /proc/locks before that: no timing.
e2e store_lock
t_store_lock()
{
	local d ino pid i
	d=$(newdir)
	flock "$d" sh -c ': >"$1/held"; while [ ! -e "$1/release" ]; do
	    sleep 0.05; done' sh "$T" &
	echo "$! $(lib_starttime $!)" >>"$LIB_PIDFILE"
	for i in $(seq 600); do
		[ -e "$T/held" ] && break
		sleep 0.1
	done
	[ -e "$T/held" ] || fail "flock(1) did not take the lock"
	run_acme --dir "$d" list
	expect_rc 1
	expect_one_error_line
	grep -q busy "$T/stderr" || fail "no 'busy' in the error"
	timeout -k 5 "$ACME_TIMEOUT" "$ACME" --wait --dir "$d" list \
	    >"$T/stdout" 2>"$T/stderr" &
	pid=$!
	ino=$(stat -c %i "$d")
	for i in $(seq 600); do
		grep -q -- "-> FLOCK .*:$ino " /proc/locks && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q -- "-> FLOCK .*:$ino " /proc/locks ||
	    fail "acme --wait is not waiting for the lock: $(first_err)"
	: >"$T/release"
	wait "$pid"
	RC=$?
	expect_rc 0
	[ ! -s "$T/stderr" ] || fail "--wait: $(first_err)"
}

# cb_cert DIR K START END [SAN]: archive/NAME version K, valid START..END
# (YYYYMMDDHHMMSSZ), signed by a throwaway CA.
cb_cert()
{
	local a=$1 k=$2 n=${5:-cb.example.com}
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$a/privkey$k.pem" 2>/dev/null &&
	openssl req -new -key "$a/privkey$k.pem" -subj "/CN=$n" \
	    -out "$T/ca/req.csr" 2>/dev/null &&
	printf 'subjectAltName=DNS:%s,DNS:www.%s\n' "$n" "$n" >"$T/ca/ext" &&
	openssl ca -batch -config "$T/ca/ca.cnf" -notext -startdate "$3" \
	    -enddate "$4" -extfile "$T/ca/ext" -in "$T/ca/req.csr" \
	    -out "$a/cert$k.pem" >/dev/null 2>&1 &&
	cp "$T/ca/ca.pem" "$a/chain$k.pem" &&
	cat "$a/cert$k.pem" "$a/chain$k.pem" >"$a/fullchain$k.pem" ||
	    fail "openssl could not make certbot version $k"
}

# cb_tree DIR: a certbot tree: cb.example.com with five versions (1 and 3
# expired by the notBefore of 5, the current one), ng.example.com (nginx).
cb_tree()
{
	local c=$1 n f
	mkdir -p "$T/ca/new" && : >"$T/ca/index.txt" && echo 1000 >"$T/ca/serial"
	cat >"$T/ca/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $T/ca/index.txt
new_certs_dir = $T/ca/new
serial = $T/ca/serial
certificate = $T/ca/ca.pem
private_key = $T/ca/ca.key
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
EOF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/ca/ca.key" -out "$T/ca/ca.pem" -days 3650 \
	    -subj "/CN=certbot test CA" >/dev/null 2>&1 || fail "openssl CA"
	for n in cb.example.com ng.example.com; do
		mkdir -p "$c/archive/$n" "$c/live/$n" "$c/renewal"
	done
	n=cb.example.com
	cb_cert "$c/archive/$n" 1 20240101000000Z 20240401000000Z
	cb_cert "$c/archive/$n" 2 20260601000000Z 20261230000000Z
	cb_cert "$c/archive/$n" 3 20260101000000Z 20260401000000Z
	cb_cert "$c/archive/$n" 4 20260801000000Z 20270101000000Z
	cb_cert "$c/archive/$n" 5 20261001000000Z 20270130000000Z
	cb_cert "$c/archive/ng.example.com" 1 20261001000000Z 20270130000000Z ng.example.com
	for f in cert chain fullchain privkey; do
		ln -s "../../archive/$n/${f}5.pem" "$c/live/$n/$f.pem"
		ln -s "../../archive/ng.example.com/${f}1.pem" "$c/live/ng.example.com/$f.pem"
	done
	cat >"$c/renewal/$n.conf" <<EOF
# renew_before_expiry = 30 days
version = 2.1.0
archive_dir = /etc/letsencrypt/archive/$n
cert = /etc/letsencrypt/live/$n/cert.pem
privkey = /etc/letsencrypt/live/$n/privkey.pem
chain = /etc/letsencrypt/live/$n/chain.pem
fullchain = /etc/letsencrypt/live/$n/fullchain.pem

# Options used in the renewal process
[renewalparams]
account = 0123456789abcdef
authenticator = webroot
webroot_path = /var/www/html,
server = https://acme-v02.api.letsencrypt.org/directory
key_type = ecdsa
pre_hook = systemctl stop nginx
[[webroot_map]]
$n = /var/www/html
www.$n = /var/www/html
EOF
	cat >"$c/renewal/ng.example.com.conf" <<EOF
version = 2.1.0
[renewalparams]
authenticator = nginx
installer = nginx
server = https://acme-staging-v02.api.letsencrypt.org/directory
EOF
}

# import-certbot: live from the current version, the unexpired older ones
# as backups (newest first), conf from the renewal settings, a report of
# what was skipped; the certbot tree untouched. Then list and restore
# round trips, and a second import changes nothing.
e2e store_import_certbot
t_store_import_certbot()
{
	local c=$T/letsencrypt d n=cb.example.com a i
	cb_tree "$c"
	a=$c/archive/$n
	d=$(newdir)
	snapshot "$c" >"$T/cb.before"
	run_acme --dir "$d" import-certbot "$c"
	expect_rc 1	# the account is not there
	expect_same "$T/cb.before" "$c"
	no_symlinks "$d"
	cmp -s "$d/live/$n/cert.pem" "$a/cert5.pem" || fail "live is not version 5"
	cmp -s "$d/backup/$n/1/cert.pem" "$a/cert4.pem" || fail "backup 1 is not version 4"
	cmp -s "$d/backup/$n/2/cert.pem" "$a/cert2.pem" || fail "backup 2 is not version 2"
	[ ! -e "$d/backup/$n/3" ] || fail "an expired version became backup 3"
	cmp -s "$d/live/$n/fullchain.pem" "$a/fullchain5.pem" || fail "fullchain differs"
	ring "$d" $n >/dev/null
	grep -qx "identifiers: $n www.$n" "$d/live/$n/meta.txt" || fail "meta.txt identifiers"
	grep -qx "issued_at_source: notbefore" "$d/live/$n/meta.txt" || fail "meta.txt source"
	grep -qx "server: https://acme-v02.api.letsencrypt.org/directory" "$d/live/$n/meta.txt" ||
	    fail "meta.txt server"
	for want in "name = $n" "identifiers = $n www.$n" "key-type = ec256" \
	    "webroot = /var/www/html" "challenge = http-01" \
	    "server = https://acme-v02.api.letsencrypt.org/directory"; do
		grep -qx "$want" "$d/conf/$n.conf" || fail "conf lacks '$want'"
	done
	grep -qx "$n: version 5 is live, backups: version 4, version 2; skipped version 3 (expired), version 1 (expired)" \
	    "$T/stdout" || fail "report for $n: $(grep "^$n" "$T/stdout")"
	grep -q "^$n: not carried over: pre_hook 'systemctl stop nginx': acme runs no hook" \
	    "$T/stdout" || fail "pre_hook not reported: $(grep "^$n" "$T/stdout")"
	grep -qxF "acme: account acme-v02.api.letsencrypt.org: certbot account 0123456789abcdef: not imported: accounts/acme-v02.api.letsencrypt.org/directory/0123456789abcdef/private_key.json: not found" \
	    "$T/stderr" || fail "missing account not reported: $(first_err)"
	grep -qx "ng.example.com: version 1 is live" "$T/stdout" &&
	    grep -q "^ng.example.com: not carried over: installer 'nginx': " "$T/stdout" &&
	    grep -q "^ng.example.com: not carried over: challenge method 'nginx': " "$T/stdout" ||
	    fail "report for ng.example.com: $(grep '^ng' "$T/stdout")"
	[ ! -e "$d/accounts" ] && [ ! -e "$d/hooks" ] || fail "an account or hook came from nowhere"
	check_live_set=$(set_ok "$d/live/ng.example.com") || fail "ng: $check_live_set"
	# list, then restore 2 three times: round trip
	run_acme --dir "$d" list
	expect_rc 0
	grep -q "^  backup 2  not after 2026-12-30T00:00:00Z" "$T/stdout" || fail "list: backup 2"
	for i in 2 4 5; do
		run_acme --dir "$d" restore $n 2
		expect_rc 0
		cmp -s "$d/live/$n/cert.pem" "$a/cert$i.pem" || fail "restore 2: live is not version $i"
	done
	cmp -s "$d/backup/$n/1/cert.pem" "$a/cert4.pem" &&
	    cmp -s "$d/backup/$n/2/cert.pem" "$a/cert2.pem" ||
	    fail "three restores of 2 did not come back to the start"
	snapshot "$d" >"$T/before"
	run_acme --dir "$d" import-certbot "$c"
	expect_rc 1
	grep -q "^$n: skipped, already in DIR" "$T/stdout" || fail "second import did not skip"
	expect_same "$T/before" "$d"
	run_acme --dir "$d" import-certbot "$T/no-such-dir"
	expect_rc 2
	expect_one_error_line
	expect_same "$T/before" "$d"
}
