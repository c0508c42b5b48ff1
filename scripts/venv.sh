# Sourced by the scripts: `ensure_venv DIR REQUIREMENTS` makes the virtualenv DIR with the pinned
# packages of REQUIREMENTS, again only when that file changed (a stamp of its hash), so it is
# quick when everything is already there.
ensure_venv() {
  local dir=$1 requirements=$2
  local stamp="$dir/.requirements.sha256"
  local want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  echo "installing $requirements into $dir"
  if ! python3 -m venv "$dir" 2>/dev/null; then
    echo "python3 cannot make a virtualenv; installing Debian's python3-venv"
    apt-get update -qq && apt-get install -y -qq python3-venv
    python3 -m venv "$dir"
  fi
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
}
