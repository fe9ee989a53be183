//! Excerpts of real Debian 12 maintainer scripts.

use super::fake::FakeHost;
use super::{lines, postinst};
use crate::effect::{Effect, FileContent, PrimaryGroup, Who};

#[test]
fn base_files_functions_under_the_fresh_install_guard() {
    let text = r#"
install_directory() {
  if [ ! -d "$DPKG_ROOT/$1" ]; then
    mkdir "$DPKG_ROOT/$1"
    chown "root:$3" "$DPKG_ROOT/$1"
    chmod "$2" "$DPKG_ROOT/$1"
  fi
}
migrate_directory() {
  if [ ! -L "$DPKG_ROOT$1" ]; then
    rmdir "$DPKG_ROOT$1"
    ln -s "$2" "$DPKG_ROOT$1"
  fi
}
ensure_file_owner_mode() {
  if [ ! -f "$DPKG_ROOT$1" ]; then
    : > "$DPKG_ROOT$1"
  fi
  chown "$2" "$DPKG_ROOT$1"
  chmod "$3" "$DPKG_ROOT$1"
}
if [ "$1" = "configure" ] && [ "$2" = "" ]; then
  install_directory srv       755 root
  install_directory var/mail 2775 mail
  migrate_directory /var/run /run
  migrate_directory /var/lock /run/lock
fi
ensure_file_owner_mode /var/log/wtmp root:utmp 664
"#;
    let mut host = FakeHost::new();
    let r = postinst("base-files", text, &mut host);
    let l = lines(&r);
    assert_eq!(
        l,
        [
            "4: emulated: mkdir /srv",
            "5: emulated: chown root:root /srv",
            "6: emulated: chmod 755 /srv",
            "4: emulated: mkdir /var/mail",
            "5: emulated: chown root:mail /var/mail",
            "6: emulated: chmod 2775 /var/mail",
            "11: emulated: rmdir /var/run",
            "12: emulated: ln -s /run /var/run",
            "11: emulated: rmdir /var/lock",
            "12: emulated: ln -s /run/lock /var/lock",
            "17: emulated: : >/var/log/wtmp",
            "19: emulated: chown root:utmp /var/log/wtmp",
            "20: emulated: chmod 664 /var/log/wtmp",
        ]
    );
    assert!(host.effects().contains(&&Effect::Symlink {
        path: "/var/run".into(),
        target: "/run".into(),
        replace: false
    }));
}

#[test]
fn nginx_common_log_directory_unless_overridden() {
    let text = r#". /usr/share/debconf/confmodule
case "$1" in
  configure)
    logdir="/var/log/nginx"
    if ! dpkg-statoverride --list "$logdir" >/dev/null; then
      chown root:adm $logdir
      chmod 0755 $logdir
    fi
    if [ -z $2 ] && [ ! -e /etc/nginx/sites-enabled/default ] &&
       [ -d /etc/nginx/sites-enabled ] && [ -d /etc/nginx/sites-available ]; then
      ln -s /etc/nginx/sites-available/default /etc/nginx/sites-enabled/default
    fi
    if [ ! -e /var/www/html/index.nginx-debian.html ]; then
      mkdir -p /var/www/html
      cp /usr/share/nginx/html/index.html /var/www/html/index.nginx-debian.html
    fi
    ;;
  *)
    echo "postinst called with unknown argument \`$1'" >&2
    exit 1
    ;;
esac
if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] ; then
	deb-systemd-helper unmask 'nginx.service' >/dev/null || true
	if deb-systemd-helper --quiet was-enabled 'nginx.service'; then
		deb-systemd-helper enable 'nginx.service' >/dev/null || true
	fi
fi
"#;
    let mut host = FakeHost::new();
    host.dir("/var/log/nginx")
        .dir("/etc/nginx/sites-enabled")
        .dir("/etc/nginx/sites-available");
    host.file("/usr/share/nginx/html/index.html");
    let r = postinst("nginx-common", text, &mut host);
    let l = lines(&r);
    assert_eq!(l[1], "6: emulated: chown root:adm /var/log/nginx");
    assert_eq!(l[2], "7: emulated: chmod 0755 /var/log/nginx");
    assert_eq!(
        l[3],
        "11: emulated: ln -s /etc/nginx/sites-available/default /etc/nginx/sites-enabled/default"
    );
    assert_eq!(
        l[5],
        "15: emulated: cp /usr/share/nginx/html/index.html /var/www/html/index.nginx-debian.html"
    );
    assert!(
        l[8].starts_with("26: harmless: deb-systemd-helper enable 'nginx.service'")
            || l[8].contains("deb-systemd-helper enable nginx.service"),
        "{l:?}"
    );
}

#[test]
fn libnginx_mod_confpairs_loop() {
    let text = r#"
for confpair in mod-http-echo.conf:50-mod-http-echo.conf  ; do
	from=$(echo $confpair | cut -d: -f1)
	to=$(echo $confpair | cut -d: -f2)
	if [ -L /etc/nginx/modules-enabled/$to.removed ]; then
		rm /etc/nginx/modules-enabled/$to.removed
		removed_link=true
	else
		removed_link=false
	fi
	if [ -z "$2" -o "$removed_link" = "true" ]; then
		ln -sf /usr/share/nginx/modules-available/$from \
			/etc/nginx/modules-enabled/$to
	fi
done
if [ "$1" = "configure" ] ; then
	if which dpkg-trigger >/dev/null 2>&1 ; then
		dpkg-trigger --no-await nginx-reload
	fi
fi
"#;
    let mut host = FakeHost::new();
    host.dir("/etc/nginx/modules-enabled")
        .commands
        .insert("dpkg-trigger".into());
    let r = postinst("libnginx-mod-http-echo", text, &mut host);
    assert_eq!(
        lines(&r),
        [
            "12: emulated: ln -sf /usr/share/nginx/modules-available/mod-http-echo.conf /etc/nginx/modules-enabled/50-mod-http-echo.conf",
            "18: harmless: dpkg-trigger --no-await nginx-reload (triggers: whittle runs no triggers; their effects are emulated per package)",
        ]
    );
}

#[test]
fn openjdk_alternatives_with_man_page_slaves() {
    let text = r#"
multiarch=x86_64-linux-gnu
priority=1711
basedir=/usr/lib/jvm/java-17-openjdk-amd64
mandir=$basedir/man
srcext=1.gz
dstext=1.gz
jre_tools='java jpackage keytool rmiregistry'
case "$1" in
configure)
    if ! mountpoint -q /proc; then
	echo >&2 "the java command requires a mounted proc fs (/proc)."
	exit 1
    fi
    [ -d /etc/.java ] || mkdir -m 755 /etc/.java
    if [ -z "$2" ]; then
	update_alternatives=y
    fi
    if [ "$update_alternatives" != y ] && [ $priority -gt 1060 ]; then
	for i in $jre_tools; do
	    oldp=$(update-alternatives --query java | awk -v b=$basedir '/^Alternative:/ && $2~b {p=1} /^Priority:/ && p {print $2; exit}')
	done
    fi
    if [ "$update_alternatives" = y ]; then
    if [ -n "$multiarch" ] && [ "$DPKG_MAINTSCRIPT_ARCH" != $(dpkg --print-architecture) ]; then
	priority=$(expr $priority - 1)
    fi
    for i in $jre_tools; do
	unset slave1 slave2 || true
        if [ -e $mandir/man1/$i.$srcext ]; then
	    slave1="--slave \
		/usr/share/man/man1/$i.$dstext \
                $i.$dstext \
                $mandir/man1/$i.$srcext"
	fi
        if false && [ -e $mandir/ja/man1/$i.$srcext ]; then
	    slave2="--slave /usr/share/man/ja/man1/$i.$dstext ${i}_ja.$dstext $mandir/ja/man1/$i.$srcext"
	fi
        update-alternatives \
            --install \
            /usr/bin/$i \
            $i \
            $basedir/bin/$i \
            $priority \
	    $slave1 $slave2
    done
    fi
    dpkg-trigger update-ca-certificates-java
    ;;
esac
"#;
    let mut host = FakeHost::new();
    host.file("/usr/lib/jvm/java-17-openjdk-amd64/man/man1/java.1.gz");
    host.file("/usr/lib/jvm/java-17-openjdk-amd64/man/man1/keytool.1.gz");
    let r = postinst("openjdk-17-jre-headless", text, &mut host);
    let l = lines(&r);
    assert_eq!(l[0], "15: emulated: mkdir -m 755 /etc/.java");
    assert_eq!(l.len(), 6, "{l:?}");
    let alts: Vec<(String, usize)> = host
        .effects()
        .iter()
        .filter_map(|e| match e {
            Effect::Alternative(a) => Some((a.path.clone(), a.slaves.len())),
            _ => None,
        })
        .collect();
    assert_eq!(
        alts,
        [
            ("/usr/lib/jvm/java-17-openjdk-amd64/bin/java".to_string(), 1),
            (
                "/usr/lib/jvm/java-17-openjdk-amd64/bin/jpackage".to_string(),
                0
            ),
            (
                "/usr/lib/jvm/java-17-openjdk-amd64/bin/keytool".to_string(),
                1
            ),
            (
                "/usr/lib/jvm/java-17-openjdk-amd64/bin/rmiregistry".to_string(),
                0
            ),
        ]
    );
    let Effect::Alternative(java) = host.effects()[1] else {
        panic!()
    };
    assert_eq!(java.priority, 1711);
    assert_eq!(java.slaves[0].link, "/usr/share/man/man1/java.1.gz");
}

#[test]
fn postgresql_common_user_and_socket_directory() {
    let text = r#"if [ "$1" = configure ]; then
    [ "$DPKG_MAINTSCRIPT_PACKAGE" ] && quiet="--quiet" # RedHat doesn't have this
    if ! getent passwd postgres > /dev/null; then
        adduser --system $quiet --home /var/lib/postgresql --no-create-home \
            --shell /bin/bash --group --gecos "PostgreSQL administrator" postgres
    fi
    if ! getent group postgres > /dev/null; then
        addgroup --system $quiet postgres
    fi
    if [ "`id -u postgres`" -eq 0 ]; then
        echo "The postgres system user must not have uid 0 (root)." >&2
        exit 1
    fi
    mkdir -p /var/lib/postgresql
    su -s /bin/sh postgres -c "test -O /var/lib/postgresql" || \
        chown postgres:postgres /var/lib/postgresql
    [ -d /var/run/postgresql ] || \
       install -d -m 2775 -o postgres -g postgres /var/run/postgresql
    if [ -z "$2" ]; then
        if getent group ssl-cert >/dev/null; then
            adduser $quiet postgres ssl-cert
        fi
    fi
fi
"#;
    let mut host = FakeHost::new();
    host.groups.insert("ssl-cert".into());
    let r = postinst("postgresql-common", text, &mut host);
    let l = lines(&r);
    assert!(l[0].starts_with("4: emulated: adduser --system --quiet --home /var/lib/postgresql --no-create-home --shell /bin/bash --group"), "{l:?}");
    assert_eq!(l[1], "14: emulated: mkdir -p /var/lib/postgresql");
    assert!(
        l[2].starts_with("15: not-emulated: su -s /bin/sh postgres -c"),
        "{l:?}"
    );
    assert!(l[3].starts_with("15: not-emulated: chown postgres:postgres /var/lib/postgresql (condition not decidable"), "{l:?}");
    assert_eq!(
        l[4],
        "17: emulated: install -d -m 2775 -o postgres -g postgres /var/run/postgresql"
    );
    assert_eq!(l[5], "21: emulated: adduser --quiet postgres ssl-cert");
    let Effect::User(u) = host.effects()[0] else {
        panic!()
    };
    assert_eq!(
        (
            u.name.as_str(),
            u.home.as_str(),
            u.create_home,
            u.shell.as_str(),
            u.gecos.as_str(),
            &u.group
        ),
        (
            "postgres",
            "/var/lib/postgresql",
            false,
            "/bin/bash",
            "PostgreSQL administrator",
            &PrimaryGroup::OwnName
        )
    );
    assert!(
        matches!(host.effects()[2], Effect::Directory { owner: Some(Who::Name(o)), mode: Some(0o2775), .. } if o == "postgres")
    );
}

#[test]
fn ssl_cert_group_key_and_override() {
    let text = ". /usr/share/debconf/confmodule\nif ! getent group ssl-cert >/dev/null; then\n\taddgroup --quiet --system --force-badname ssl-cert\nfi\nmake-ssl-cert generate-default-snakeoil\nif ! dpkg-statoverride --list /etc/ssl/private >/dev/null 2>&1\nthen\n    dpkg-statoverride --update --add root ssl-cert 710 /etc/ssl/private\nfi\n";
    let mut host = FakeHost::new();
    let r = postinst("ssl-cert", text, &mut host);
    let l = lines(&r);
    assert_eq!(
        l[1],
        "3: emulated: addgroup --quiet --system --force-badname ssl-cert"
    );
    assert!(l[2].starts_with(
        "5: not-emulated: make-ssl-cert generate-default-snakeoil (generates a private key"
    ));
    assert_eq!(
        l[3],
        "8: emulated: dpkg-statoverride --update --add root ssl-cert 710 /etc/ssl/private"
    );
}

#[test]
fn nodejs_js_alternative() {
    let text = "#!/bin/sh\nset -e\nif [ \"$1\" = \"configure\" ]; then\n    update-alternatives --install /usr/bin/js js /usr/bin/nodejs 200 \\\n                        --slave /usr/share/man/man1/js.1.gz js.1.gz /usr/share/man/man1/nodejs.1.gz\nfi\n";
    let mut host = FakeHost::new();
    let r = postinst("nodejs", text, &mut host);
    assert!(lines(&r)[1].starts_with(
        "4: emulated: update-alternatives --install /usr/bin/js js /usr/bin/nodejs 200 --slave"
    ));
    assert!(
        matches!(host.effects()[0], Effect::Alternative(a) if a.link == "/usr/bin/js" && a.priority == 200)
    );
    let _ = FileContent::Bytes(Vec::new());
}
